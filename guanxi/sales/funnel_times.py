"""Keep and read the funnel's time-in-stage totals (`FunnelStageTime`).

The funnel's "average days in stage" is the mean of `StageChange.seconds_in_previous` over
the moves out of each stage by the deals it counts. Over a year of a large company that is
hundreds of thousands of stage changes, so per pipeline × stage left × month of the deals'
creation (site time zone) the seconds and the number of moves are summed as they happen:

- every recorded move adds itself (`count_move`, `count_moves`), in the stage change's
  transaction; a move counts for a deal's pipeline only when it leaves a stage of that
  pipeline, as the exact computation does;
- a deal deleted takes its moves away (pre_delete); a deal moved to another pipeline takes
  its moves from the old pipeline and brings those it had in the new one (`pipeline_moved`);
- `rebuild` recomputes everything from the stage history (migration 0008, the command
  `guanxi funnel_times --rebuild`, after loading stage history by hand).

The totals know neither owners nor shares, so they answer only a funnel that counts every
deal of the pipeline (`answers`): created-date basis, no me/team/department filter, a user
whose data scope for opportunities is "all", in the site time zone. Whole months of the
period are read from here, the days before and after them from the stage history.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from guanxi.core.permissions import scope_q
from guanxi.sales.forecast_choices import FunnelBasis, FunnelScope
from guanxi.sales.models import FunnelStageTime, Opportunity, StageChange

Key = tuple[int, int, datetime.date]  # pipeline, stage left, month of creation
Totals = dict[Key, list[int]]  # key → [seconds, moves]


def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_of(moment: datetime.datetime) -> datetime.date:
    """Return the first day of the month (site time zone) a deal created at `moment` is in."""
    return timezone.localtime(moment, site_zone()).date().replace(day=1)


def _apply(totals: Totals, sign: int = 1) -> None:
    """Add (or, sign -1, take away) totals: one upsert per key, in key order (no deadlock)."""
    rows = [
        (pipeline, stage, month.isoformat(), sign * seconds, sign * moves)
        for (pipeline, stage, month), (seconds, moves) in sorted(totals.items())
        if moves
    ]
    if not rows:
        return
    table = connection.ops.quote_name(FunnelStageTime._meta.db_table)
    sql = (
        f"INSERT INTO {table} (pipeline_id, stage_id, month, seconds, moves) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (pipeline_id, month, stage_id) DO UPDATE "
        f"SET seconds = {table}.seconds + excluded.seconds, "
        f"moves = {table}.moves + excluded.moves"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def count_moves(moves: Iterable[tuple[Opportunity, StageChange]]) -> None:
    """Add recorded moves (deal, its new stage change) to the totals of the deals' pipelines."""
    totals: Totals = defaultdict(lambda: [0, 0])
    for opportunity, change in moves:
        if change.from_stage_id is None or opportunity.created_at is None:
            continue
        if change.from_stage.pipeline_id != opportunity.pipeline_id:
            continue  # leaving another pipeline's stage: the funnel does not count it
        key = (opportunity.pipeline_id, change.from_stage_id, month_of(opportunity.created_at))
        totals[key][0] += change.seconds_in_previous
        totals[key][1] += 1
    _apply(totals)


def count_move(opportunity: Opportunity, change: StageChange) -> None:
    count_moves([(opportunity, change)])


def deal_totals(opportunity_ids: Iterable[int], pipeline_id: int | None = None) -> Totals:
    """Return what some deals' stage history adds to the totals of their pipeline.

    With `pipeline_id`, the moves out of that pipeline's stages instead, as if the deals
    were in it.
    """
    changes = StageChange.objects.filter(
        opportunity_id__in=list(opportunity_ids), from_stage__isnull=False
    )
    if pipeline_id is None:
        changes = changes.filter(from_stage__pipeline_id=F("opportunity__pipeline_id"))
    else:
        changes = changes.filter(from_stage__pipeline_id=pipeline_id)
    totals: Totals = defaultdict(lambda: [0, 0])
    rows = changes.order_by().values_list(
        "from_stage__pipeline_id", "from_stage_id", "opportunity__created_at", "seconds_in_previous"
    )
    for pipeline, stage, created_at, seconds in rows:
        key = (pipeline, stage, month_of(created_at))
        totals[key][0] += seconds
        totals[key][1] += 1
    return totals


def count_history(opportunity_ids: Iterable[int]) -> None:
    """Add the whole stage history of deals whose moves were written without the services
    (demo data, tests); their moves must not have been counted yet."""
    _apply(deal_totals(opportunity_ids))


def pipeline_moved(opportunity: Opportunity, old_pipeline_id: int) -> None:
    """Move a deal's times from its old pipeline to its new one; call before the new move."""
    _apply(deal_totals([opportunity.pk], pipeline_id=old_pipeline_id), -1)
    _apply(deal_totals([opportunity.pk], pipeline_id=opportunity.pipeline_id))


@receiver(pre_delete, sender=Opportunity, dispatch_uid="funnel_times_deal_deleted")
def _deal_deleted(sender, instance, **kwargs) -> None:
    _apply(deal_totals([instance.pk]), -1)


def exact_totals(pipeline_ids: Iterable[int] | None = None) -> Totals:
    """Return the totals computed from the whole stage history (what `rebuild` writes)."""
    changes = StageChange.objects.filter(
        from_stage__isnull=False, from_stage__pipeline_id=F("opportunity__pipeline_id")
    )
    if pipeline_ids is not None:
        changes = changes.filter(opportunity__pipeline_id__in=list(pipeline_ids))
    rows = (
        changes.order_by()
        .annotate(created_month=TruncMonth("opportunity__created_at", tzinfo=site_zone()))
        .values_list("opportunity__pipeline_id", "from_stage_id", "created_month")
        .annotate(seconds=Sum("seconds_in_previous"), moves=Count("id"))
    )
    totals: Totals = {}
    for pipeline, stage, created_month, seconds, moves in rows:
        month = timezone.localtime(created_month, site_zone()).date().replace(day=1)
        total = totals.setdefault((pipeline, stage, month), [0, 0])
        total[0] += int(seconds or 0)
        total[1] += moves
    return totals


@transaction.atomic
def rebuild(pipeline_ids: Iterable[int] | None = None) -> int:
    """Recompute the totals (of some pipelines) from the stage history; return the rows."""
    ids = None if pipeline_ids is None else list(pipeline_ids)
    stored = FunnelStageTime.objects.all()
    if ids is not None:
        stored = stored.filter(pipeline_id__in=ids)
    stored.delete()
    rows = [
        FunnelStageTime(pipeline_id=pipeline, stage_id=stage, month=month, seconds=s, moves=m)
        for (pipeline, stage, month), (s, m) in sorted(exact_totals(ids).items())
    ]
    FunnelStageTime.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# Reading ------------------------------------------------------------------------------


def answers(user, query) -> bool:
    """Tell whether the totals can answer the query's times for this user (see above)."""
    if query.basis != FunnelBasis.CREATED:
        return False
    if query.scope == FunnelScope.ME:
        return False
    if query.scope == FunnelScope.TEAM and query.team is not None:
        return False
    if query.scope == FunnelScope.DEPARTMENT and query.department is not None:
        return False
    if getattr(timezone.get_current_timezone(), "key", None) != settings.TIME_ZONE:
        return False
    return scope_q(user, Opportunity, "view") is None


def whole_months(
    start: datetime.date, end: datetime.date
) -> tuple[tuple[datetime.date, datetime.date] | None, list[tuple[datetime.date, datetime.date]]]:
    """Split an inclusive period into its whole months (first, last) and the days around them."""
    first = start if start.day == 1 else _next_month(start)
    after_end = end + datetime.timedelta(days=1)
    stop = after_end if after_end.day == 1 else after_end.replace(day=1)  # exclusive
    if first >= stop:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - datetime.timedelta(days=1)))
    if stop <= end:
        edges.append((stop, end))
    last = (stop - datetime.timedelta(days=1)).replace(day=1)
    return (first, last), edges


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def stored_times(
    pipeline_id: int, months: tuple[datetime.date, datetime.date], stage_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """Return {stage: (seconds, moves)} of the deals created in the months (inclusive)."""
    rows = (
        FunnelStageTime.objects.filter(
            pipeline_id=pipeline_id,
            month__gte=months[0],
            month__lte=months[1],
            stage_id__in=stage_ids,
        )
        .order_by()
        .values_list("stage_id")
        .annotate(seconds=Sum("seconds"), moves=Sum("moves"))
    )
    return {stage: (int(seconds or 0), int(moves or 0)) for stage, seconds, moves in rows}
