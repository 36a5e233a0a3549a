"""The sales funnel (销售漏斗): how many deals reached each stage, conversion, time and wins.

A deal "reached" a stage when it entered that stage or a later one: the furthest
non-lost stage in its stage history (StageChange) or its current stage. A lost deal
counts in the stages it got to before it was lost. Counts cover every currency; amounts
add up deals in the default currency only, the others are listed per currency.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from guanxi.core.models import Department, Team, User
from guanxi.core.money import default_currency
from guanxi.sales import funnel_times
from guanxi.sales.forecast_choices import FunnelBasis, FunnelScope
from guanxi.sales.models import Opportunity, Pipeline, Stage, StageChange

DRILL_DOWN_LIMIT = 100
ONE_DECIMAL = Decimal("0.1")
CENT = Decimal("0.01")


@dataclass
class FunnelQuery:
    """Say which deals a funnel counts: a pipeline, a period and whose deals."""

    pipeline: Pipeline
    start: datetime.date
    end: datetime.date  # inclusive
    basis: str = FunnelBasis.CREATED
    scope: str = FunnelScope.ALL
    team: Team | None = None
    department: Department | None = None


@dataclass
class FunnelStage:
    stage: Stage
    count: int = 0
    amount: Decimal = Decimal("0")
    other_amounts: dict[str, Decimal] = field(default_factory=dict)
    conversion: Decimal | None = None  # % of this stage's deals that reached the next
    average_days: Decimal | None = None  # mean time spent in the stage before leaving it
    left: int = 0  # how many moves out of the stage the average is over


@dataclass
class Funnel:
    query: FunnelQuery
    currency: str
    stages: list[FunnelStage]
    total: int = 0
    won: int = 0
    lost: int = 0
    lost_amount: Decimal = Decimal("0")
    win_rate: Decimal | None = None  # % of the closed deals that were won


def funnel_stages(pipeline: Pipeline) -> list[Stage]:
    """Return the stages a funnel shows: every stage but the lost ones, in order."""
    return [stage for stage in pipeline.stages.all() if not stage.is_lost]


def funnel_deals(user: User, query: FunnelQuery) -> QuerySet:
    """Return the deals of the funnel's pipeline, period and people the user may see."""
    deals = Opportunity.objects.visible_to(user, "view").filter(pipeline=query.pipeline)
    if query.basis == FunnelBasis.CLOSE:
        deals = deals.filter(expected_close__gte=query.start, expected_close__lte=query.end)
    else:
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(query.start, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(
            query.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        deals = deals.filter(created_at__gte=start, created_at__lt=end)
    if query.scope == FunnelScope.ME:
        deals = deals.filter(owner=user)
    elif query.scope == FunnelScope.TEAM and query.team is not None:
        deals = deals.filter(owner__in=query.team.members.values("pk"))
    elif query.scope == FunnelScope.DEPARTMENT and query.department is not None:
        deals = deals.filter(owner__department__path__startswith=query.department.path)
    return deals


def with_reached(deals: QuerySet, first_position: int) -> QuerySet:
    """Annotate each deal with `reached`: the position of the furthest stage it entered.

    That is the furthest stage kept on the deal (refreshed from its stage history on every
    stage change) or its current stage; a lost deal reached at least the first stage.
    """
    current = Case(
        When(stage__is_lost=True, then=Value(first_position)),
        default=F("stage__position"),
        output_field=IntegerField(),
    )
    return deals.annotate(reached=Greatest(F("furthest_position"), current, Value(first_position)))


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(ONE_DECIMAL)


def funnel_for(user: User, query: FunnelQuery) -> Funnel:
    """Compute the funnel in a few queries, whatever the number of deals.

    The deals are counted per furthest stage, current stage and currency (columns of the
    `opp_funnel_*` indexes, so the table itself is not read); how far each group reached
    is worked out here, as `with_reached` does in the database for the drill-down.
    """
    every = list(query.pipeline.stages.all())
    stages = [stage for stage in every if not stage.is_lost]
    currency = default_currency()
    funnel = Funnel(query=query, currency=currency, stages=[FunnelStage(s) for s in stages])
    if not stages:
        return funnel
    first = stages[0].position
    current = {stage.pk: first if stage.is_lost else stage.position for stage in every}
    won_ids = {stage.pk for stage in stages if stage.is_won}
    lost_ids = {stage.pk for stage in every if stage.is_lost}
    rows = (
        funnel_deals(user, query)
        .order_by()
        .values_list("furthest_position", "stage_id", "currency")
        .annotate(number=Count("*"), total=Sum("amount"))
    )
    for furthest, stage_id, code, number, amount in rows:
        reached = max(furthest, current.get(stage_id, first), first)
        total = Decimal(str(amount or 0)).quantize(CENT)
        funnel.total += number
        if stage_id in won_ids:
            funnel.won += number
        if stage_id in lost_ids:
            funnel.lost += number
            if code == currency:
                funnel.lost_amount += total
        for item in funnel.stages:
            if reached < item.stage.position:
                continue
            item.count += number
            if code == currency:
                item.amount += total
            else:
                item.other_amounts[code] = item.other_amounts.get(code, Decimal("0")) + total
    _add_times(funnel, user, query)
    for item, following in zip(funnel.stages, funnel.stages[1:], strict=False):
        item.conversion = _percent(following.count, item.count)
    funnel.win_rate = _percent(funnel.won, funnel.won + funnel.lost)
    return funnel


def _add_times(funnel: Funnel, user: User, query: FunnelQuery) -> None:
    """Set each stage's average days, from the time deals spent in it before moving on.

    When the running totals can answer (created-date basis, site time zone, see
    funnel_times), the period's whole months come from them, for the owners whose every
    deal the user sees and the filter keeps; the days before and after those months, and
    deals the user sees otherwise (shared with them), come from the stage history.
    """
    stage_ids = [item.stage.pk for item in funnel.stages]
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])

    def add(found: dict[int, tuple[int, int]]) -> None:
        for stage_id, (seconds, moves) in found.items():
            totals[stage_id][0] += seconds
            totals[stage_id][1] += moves

    periods = [(query.start, query.end)]
    if funnel_times.answers(query):
        months, periods = funnel_times.whole_months(query.start, query.end)
        if months is not None:
            owners, others = funnel_times.owners_covered(user, query)
            add(funnel_times.stored_times(query.pipeline.pk, months, stage_ids, owners))
            if others:
                within = replace(query, start=months[0], end=_month_end(months[1]))
                rest = funnel_deals(user, within).exclude(owner__in=owners)
                add(_history(rest, stage_ids))
    for start, end in periods:
        add(history_times(user, replace(query, start=start, end=end), stage_ids))
    by_stage = {item.stage.pk: item for item in funnel.stages}
    for stage_id, (seconds, moves) in totals.items():
        if not moves:
            continue
        item = by_stage[stage_id]
        item.left = moves
        item.average_days = (Decimal(seconds) / moves / 86400).quantize(ONE_DECIMAL)


def _month_end(month: datetime.date) -> datetime.date:
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    return following - datetime.timedelta(days=1)


def history_times(user: User, query: FunnelQuery, stage_ids: list[int]) -> dict[int, tuple]:
    """Return {stage: (seconds, moves)} over the moves out of the stages by the query's deals.

    The exact computation from the stage history: the running totals must always agree
    with it (the tests use it as their oracle).
    """
    return _history(funnel_deals(user, query), stage_ids)


def _history(deals: QuerySet, stage_ids: list[int]) -> dict[int, tuple]:
    rows = (
        StageChange.objects.filter(
            opportunity__in=deals.order_by().values("pk"), from_stage__in=stage_ids
        )
        .order_by()
        .values_list("from_stage")
        .annotate(seconds=Sum("seconds_in_previous"), moves=Count("id"))
    )
    return {stage: (int(seconds or 0), moves) for stage, seconds, moves in rows}


def funnel_stage_deals(user: User, query: FunnelQuery, stage: Stage) -> QuerySet:
    """Return the deals behind one bar: those that reached the stage (or, for lost, lost)."""
    deals = funnel_deals(user, query)
    if stage.is_lost:
        chosen = deals.filter(stage=stage)
    else:
        first = funnel_stages(query.pipeline)[0].position
        chosen = with_reached(deals, first).filter(reached__gte=stage.position)
    return chosen.select_related("owner", "stage", "account").order_by("-amount", "-id")


def other_currency_totals(funnel: Funnel) -> dict[str, Decimal]:
    """Return, per other currency, the amount that entered the funnel (its first stage)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    if funnel.stages:
        for code, amount in funnel.stages[0].other_amounts.items():
            totals[code] += amount
    return dict(sorted(totals.items()))
