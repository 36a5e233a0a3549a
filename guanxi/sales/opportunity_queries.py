"""Reads of opportunities shared by the board screen and the API: columns, totals, cards.

The board costs one query for the stages, one aggregate for every column's totals and one
indexed, limited query per column for its first cards, however many deals there are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connections
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from guanxi.core.choices import Action
from guanxi.core.models import Team, User
from guanxi.core.money import default_currency, format_money
from guanxi.core.permissions import scope_q
from guanxi.sales.models import Opportunity, Pipeline, Stage

PAGE = 25
# What a card shows; reading only these keeps a board of a few hundred cards cheap.
CARD_FIELDS = (
    "id",
    "number",
    "name",
    "amount",
    "currency",
    "probability",
    "expected_close",
    "stage_id",
    "stage_entered_at",
    "version",
    "account__id",
    "account__name",
    "owner__id",
    "owner__username",
    "owner__display_name",
    "owner__first_name",
    "owner__last_name",
)


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
    """Return {stage id: {count, amount, weighted}} in one aggregate query.

    The weighted amount is summed as amount × probability and divided by 100 once here: a
    numeric division per deal doubled the aggregate's time over a team's 40,000 deals.
    """
    weighted = ExpressionWrapper(
        F("amount") * F("probability"),
        output_field=DecimalField(max_digits=22, decimal_places=2),
    )
    rows = (
        deals.order_by()
        .values("stage_id")
        .annotate(deals=Count("*"), total_amount=Sum("amount"), total_weighted=Sum(weighted))
    )
    return {
        row["stage_id"]: {
            "count": row["deals"],
            "amount": Decimal(row["total_amount"] or 0).quantize(Decimal("0.01")),
            "weighted": (Decimal(row["total_weighted"] or 0) / 100).quantize(Decimal("0.01")),
        }
        for row in rows
    }


def narrowed_by_owner(user: User, params: Mapping) -> bool:
    """Tell whether the board holds the deals of some owners only (a filter or the scope)."""
    if (params.get("owner") or "").strip() or (params.get("team") or "").strip():
        return True
    return scope_q(user, Opportunity, Action.VIEW) is not None


def _column_ids(
    deals: QuerySet, stage: Stage, offset: int, limit: int, by_owner: bool
) -> tuple[list, bool]:
    """Return the ids of a page of a column's cards, biggest deals first, and if more follow.

    Only ids are read here, so that a team's or a scope's deals are ranked from the board
    index alone; the cards' rows are read afterwards by primary key. For some owners'
    deals the sort key is `amount + 0`: PostgreSQL then ranks them from that index
    instead of walking the whole pipeline's biggest deals and dropping other owners' ones.
    """
    amount = (
        ExpressionWrapper(F("amount") + 0, output_field=DecimalField()) if by_owner else F("amount")
    )
    ids = list(
        deals.filter(stage=stage)
        .order_by(amount.desc(), "-id")
        .values_list("id", flat=True)[offset : offset + limit + 1]
    )
    return ids[:limit], len(ids) > limit


def _first_pages(deals: QuerySet, columns: list, limit: int, by_owner: bool) -> dict[int, list]:
    """Rank the first page of every column (and set `more`); return {stage id: card ids}.

    Where the database allows it, every column's ranking is one branch of a single
    UNION ALL query: one round trip for the board instead of one per column.
    """
    pages: dict[int, list[int]] = {}
    features = connections[deals.db].features
    if len(columns) < 2 or not features.supports_slicing_ordering_in_compound:
        for column in columns:
            pages[column.stage.pk], column.more = _column_ids(
                deals, column.stage, 0, limit, by_owner
            )
        return pages
    amount = (
        ExpressionWrapper(F("amount") + 0, output_field=DecimalField()) if by_owner else F("amount")
    )
    parts = [
        deals.filter(stage=column.stage)
        .order_by(amount.desc(), "-id")
        .values_list("stage_id", "id", "amount")[: limit + 1]
        for column in columns
    ]
    ranked: dict[int, list] = {column.stage.pk: [] for column in columns}
    for stage_id, pk, value in parts[0].union(*parts[1:], all=True):
        ranked[stage_id].append((value, pk))
    for column in columns:
        ids = [pk for _value, pk in sorted(ranked[column.stage.pk], reverse=True)]
        pages[column.stage.pk], column.more = ids[:limit], len(ids) > limit
    return pages


def _cards(ids: list[int], stages: dict[int, Stage]) -> dict[int, Opportunity]:
    rows = (
        Opportunity.objects.filter(pk__in=ids).select_related("account", "owner").only(*CARD_FIELDS)
    )
    found = {}
    for deal in rows:
        deal.stage = stages[deal.stage_id]
        annotate_card(deal)
        found[deal.pk] = deal
    return found


def column_cards(
    deals: QuerySet,
    stage: Stage,
    *,
    offset: int = 0,
    limit: int | None = None,
    by_owner: bool = False,
):
    """Return a page of a column's cards, biggest deals first, and whether more follow."""
    ids, more = _column_ids(deals, stage, offset, limit or PAGE, by_owner)
    found = _cards(ids, {stage.pk: stage})
    return [found[pk] for pk in ids if pk in found], more


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
    by_owner = narrowed_by_owner(user, params)
    columns = [Column(stage=stage, **totals.get(stage.pk, {})) for stage in board_stages(pipeline)]
    pages = _first_pages(deals, [c for c in columns if c.count], per_column or PAGE, by_owner)
    if pages:
        found = _cards(
            [pk for ids in pages.values() for pk in ids],
            {column.stage.pk: column.stage for column in columns},
        )
        for column in columns:
            column.cards = [found[pk] for pk in pages.get(column.stage.pk, []) if pk in found]
    return columns
