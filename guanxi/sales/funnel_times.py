"""Keep and read the funnel's time-in-stage totals (`FunnelStageTime`).

The funnel's "average days in stage" is the mean of `StageChange.seconds_in_previous` over
the moves out of each stage by the deals it counts. Over a year of a large company that is
hundreds of thousands of stage changes, so per pipeline × stage left × month of the deals'
creation (site time zone) × owner the seconds and the number of moves are summed as they
happen:

- every recorded move adds itself (`count_move`, `count_moves`), in the stage change's
  transaction; a move counts for a deal's pipeline only when it leaves a stage of that
  pipeline, as the exact computation does;
- a deal deleted takes its moves away (pre_delete); a deal saved with another owner or
  pipeline takes its moves from the old owner/pipeline to the new one (pre_save);
- `rebuild` recomputes everything from the stage history (migration 0008, the command
  `guanxi funnel_times --rebuild`, after loading stage history by hand).

Reading (`owners_covered`): the totals answer for the deals of a set of owners when the
user sees every deal of those owners (their data scope is by owner: own, department,
department and below, or all) and the funnel's me/team/department filter keeps all of
them. Deals the user sees otherwise (shared with them) are read from the stage history,
so the figures are exactly those of the history. Close-date funnels and users in another
time zone than the site's read the history only.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from guanxi.core.models import User
from guanxi.core.permissions import scope_q
from guanxi.sales import forecast_scope
from guanxi.sales.forecast_choices import FunnelBasis, FunnelScope
from guanxi.sales.models import FunnelStageTime, Opportunity, StageChange

Key = tuple[int, int, datetime.date, int]  # pipeline, stage left, month of creation, owner
Totals = dict[Key, list[int]]  # key → [seconds, moves]
KEEP = object()  # "the deal's own owner"


def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_of(moment: datetime.datetime) -> datetime.date:
    """Return the first day of the month (site time zone) a deal created at `moment` is in."""
    return timezone.localtime(moment, site_zone()).date().replace(day=1)


def _apply(totals: Totals, sign: int = 1) -> None:
    """Add (or, sign -1, take away) totals: one upsert per key, in key order (no deadlock)."""
    rows = [
        (pipeline, stage, month.isoformat(), owner, sign * seconds, sign * moves)
        for (pipeline, stage, month, owner), (seconds, moves) in sorted(totals.items())
        if moves
    ]
    if not rows:
        return
    table = connection.ops.quote_name(FunnelStageTime._meta.db_table)
    sql = (
        f"INSERT INTO {table} (pipeline_id, stage_id, month, owner_key, seconds, moves) "
        "VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (pipeline_id, month, stage_id, owner_key) DO UPDATE "
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
        key = (
            opportunity.pipeline_id,
            change.from_stage_id,
            month_of(opportunity.created_at),
            opportunity.owner_id or 0,
        )
        totals[key][0] += change.seconds_in_previous
        totals[key][1] += 1
    _apply(totals)


def count_move(opportunity: Opportunity, change: StageChange) -> None:
    count_moves([(opportunity, change)])


def deal_totals(
    opportunity_ids: Iterable[int], pipeline_id: int | None = None, owner_id=KEEP
) -> Totals:
    """Return what some deals' stage history adds to the totals, as stored now.

    With `pipeline_id` and `owner_id`, as if the deals were in that pipeline and had that
    owner: what they will add once saved so.
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
        "from_stage__pipeline_id",
        "from_stage_id",
        "opportunity__created_at",
        "opportunity__owner_id",
        "seconds_in_previous",
    )
    for pipeline, stage, created_at, owner, seconds in rows:
        chosen = owner if owner_id is KEEP else owner_id
        key = (pipeline, stage, month_of(created_at), chosen or 0)
        totals[key][0] += seconds
        totals[key][1] += 1
    return totals


def count_history(opportunity_ids: Iterable[int]) -> None:
    """Add the whole stage history of deals whose moves were written without the services
    (demo data, tests); their moves must not have been counted yet."""
    _apply(deal_totals(opportunity_ids))


@receiver(pre_save, sender=Opportunity, dispatch_uid="funnel_times_deal_saved")
def _deal_saved(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """Move a deal's times when it is saved with another owner or pipeline."""
    if raw or instance._state.adding or instance.pk is None:
        return
    watched = {"owner", "owner_id", "pipeline", "pipeline_id"}
    if update_fields is not None and not watched & set(update_fields):
        return
    stored = Opportunity.objects.filter(pk=instance.pk).values_list("owner_id", "pipeline_id")
    before = stored.first()
    if before is None or before == (instance.owner_id, instance.pipeline_id):
        return
    _apply(deal_totals([instance.pk]), -1)
    _apply(deal_totals([instance.pk], instance.pipeline_id, instance.owner_id))


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
        .values_list(
            "opportunity__pipeline_id", "from_stage_id", "created_month", "opportunity__owner_id"
        )
        .annotate(seconds=Sum("seconds_in_previous"), moves=Count("id"))
    )
    totals: Totals = {}
    for pipeline, stage, created_month, owner, seconds, moves in rows:
        month = timezone.localtime(created_month, site_zone()).date().replace(day=1)
        total = totals.setdefault((pipeline, stage, month, owner or 0), [0, 0])
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
        FunnelStageTime(
            pipeline_id=pipeline, stage_id=stage, month=month, owner_key=owner, seconds=s, moves=m
        )
        for (pipeline, stage, month, owner), (s, m) in sorted(exact_totals(ids).items())
    ]
    FunnelStageTime.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# Reading ------------------------------------------------------------------------------


def answers(query) -> bool:
    """Tell whether the totals may answer part of the query (see the module's text)."""
    if query.basis != FunnelBasis.CREATED:
        return False
    return getattr(timezone.get_current_timezone(), "key", None) == settings.TIME_ZONE


def _filter_owners(user, query) -> list[int] | None:
    """Return the owners the funnel's me/team/department filter keeps; None: everyone."""
    if query.scope == FunnelScope.ME:
        return [user.pk]
    if query.scope == FunnelScope.TEAM and query.team is not None:
        return list(query.team.members.values_list("pk", flat=True))
    if query.scope == FunnelScope.DEPARTMENT and query.department is not None:
        people = User.objects.filter(department__path__startswith=query.department.path)
        return list(people.values_list("pk", flat=True))
    return None


def owners_covered(user, query) -> tuple[list[int] | None, bool]:
    """Return (owners the totals answer for, whether other visible deals may count too).

    The owners are those whose every deal the user sees (by their data scope) and the
    funnel's filter keeps; None means every owner. The flag says whether the user may also
    see deals of other owners (shared with them), to be read from the stage history.
    """
    visible = forecast_scope.visible_people(user)
    wanted = _filter_owners(user, query)
    if visible is None:
        return wanted, False
    owners = visible if wanted is None else sorted(set(visible) & set(wanted))
    condition = scope_q(user, Opportunity, "view")
    by_owner_only = condition in (Q(owner=user.pk), Q(owner__in=visible))
    return owners, not by_owner_only


def stored_times(
    pipeline_id: int,
    months: tuple[datetime.date, datetime.date],
    stage_ids: list[int],
    owners: list[int] | None,
) -> dict[int, tuple[int, int]]:
    """Return {stage: (seconds, moves)} of the owners' deals created in the months."""
    rows = FunnelStageTime.objects.filter(
        pipeline_id=pipeline_id,
        month__gte=months[0],
        month__lte=months[1],
        stage_id__in=stage_ids,
    )
    if owners is not None:
        rows = rows.filter(owner_key__in=owners)
    rows = (
        rows.order_by().values_list("stage_id").annotate(seconds=Sum("seconds"), moves=Sum("moves"))
    )
    return {stage: (int(seconds or 0), int(moves or 0)) for stage, seconds, moves in rows}


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
