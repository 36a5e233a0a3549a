"""Reads of opportunities shared by the board screen and the API: columns, totals, cards.

The board costs one query for the stages, one aggregate for every column's totals and one
indexed, limited query per column for its first cards, however many deals there are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from guanxi.core.choices import Action
from guanxi.core.models import Team, User
from guanxi.core.money import default_currency, format_money
from guanxi.sales.models import Opportunity, Pipeline, Stage

PAGE = 50


@dataclass
class Column:
    """One stage of the board with its totals and a page of its cards."""

    stage: Stage
    count: int = 0
    amount: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")
    cards: list[Opportunity] = field(default_factory=list)
    more: bool = False

    @property
    def amount_text(self) -> str:
        return money_text(self.amount)

    @property
    def weighted_text(self) -> str:
        return money_text(self.weighted)


def money_text(amount) -> str:
    """Return a board total in the default currency (deals in others count at face value)."""
    return format_money(Decimal(amount or 0), default_currency())


def board_filter(params: Mapping, user: User) -> Q:
    """Return the condition of the board's filters: owner, team and expected-close period."""
    from guanxi.sales.opportunity_entities import close_period_condition

    condition = Q()
    owner = (params.get("owner") or "").strip()
    if owner == "me":
        condition &= Q(owner_id=user.pk)
    elif owner.isdigit():
        condition &= Q(owner_id=int(owner))
    team = (params.get("team") or "").strip()
    if team.isdigit():
        members = list(
            Team.members.through.objects.filter(team_id=int(team)).values_list("user_id", flat=True)
        )
        condition &= Q(owner_id__in=members)
    period = (params.get("close") or "").strip()
    if period:
        condition &= close_period_condition([period], user)
    return condition


def board_deals(user: User, pipeline: Pipeline, params: Mapping) -> QuerySet:
    """Return the deals of a pipeline the user may see, narrowed by the board's filters."""
    return (
        Opportunity.objects.visible_to(user, Action.VIEW)
        .filter(pipeline=pipeline)
        .filter(board_filter(params, user))
    )


def board_stages(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.filter(is_archived=False).order_by("position", "id"))


def board_totals(deals: QuerySet) -> dict[int, dict]:
    """Return {stage id: {count, amount, weighted}} in one aggregate query."""
    weighted = ExpressionWrapper(
        F("amount") * F("probability") / 100,
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    rows = (
        deals.order_by()
        .values("stage_id")
        .annotate(deals=Count("id"), total_amount=Sum("amount"), total_weighted=Sum(weighted))
    )
    return {
        row["stage_id"]: {
            "count": row["deals"],
            "amount": Decimal(row["total_amount"] or 0).quantize(Decimal("0.01")),
            "weighted": Decimal(row["total_weighted"] or 0).quantize(Decimal("0.01")),
        }
        for row in rows
    }


def column_cards(deals: QuerySet, stage: Stage, *, offset: int = 0, limit: int | None = None):
    """Return a page of a column's cards, biggest deals first, and whether more follow."""
    limit = limit or PAGE
    rows = list(
        deals.filter(stage=stage)
        .select_related("account", "owner")
        .order_by("-amount", "-id")[offset : offset + limit + 1]
    )
    for deal in rows:
        deal.stage = stage
        annotate_card(deal)
    return rows[:limit], len(rows) > limit


def annotate_card(deal: Opportunity) -> None:
    """Attach the days the deal has been in its stage and whether it is rotting."""
    deal.days_in_stage = max(0, (timezone.now() - deal.stage_entered_at).days)
    stage = deal.stage
    deal.is_rotting = bool(
        stage.rotting_days and not stage.is_closed and deal.days_in_stage >= stage.rotting_days
    )


def board(user: User, pipeline: Pipeline, params: Mapping, *, per_column: int | None = None):
    """Return the board's columns: totals for every stage and the first cards of each."""
    deals = board_deals(user, pipeline, params)
    totals = board_totals(deals)
    columns = []
    for stage in board_stages(pipeline):
        column = Column(stage=stage, **totals.get(stage.pk, {}))
        if column.count:
            column.cards, column.more = column_cards(deals, stage, limit=per_column)
        columns.append(column)
    return columns
