"""Time-based triggers: a date reached, no activity for N days, a scheduled time.

`scan_due(now)` runs from the periodic task every few minutes and from
`guanxi run_automations`. Each rule is scanned in primary-key batches with its conditions
as a database filter where they can be one (`conditions.to_q`), else checked record by
record; a run's cause (the date, the idle period, the schedule slot) makes it unique, so
a scan repeated, or run by two workers, acts on a record once. Records a scan does not
select are not recorded as skipped runs (there would be one per record and scan).
"""

from __future__ import annotations

import calendar as month_calendar
import datetime
import logging
import zoneinfo
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from guanxi.core import customfields, registry
from guanxi.workflow import conditions
from guanxi.workflow.automation_engine import BATCH, _matches, _record_and_execute
from guanxi.workflow.automation_models import AutomationRule, AutomationRun, TriggerKind

logger = logging.getLogger(__name__)

# A date or idle rule is scanned at most this often (its causes change by the day).
SCAN_INTERVAL = datetime.timedelta(hours=1)
# Days back a date trigger still catches up on, when scans did not run (never before the
# rule existed).
DATE_CATCH_UP_DAYS = 2


def scan_due(now: datetime.datetime | None = None) -> int:
    """Scan every active time-based rule that is due; return how many runs were recorded."""
    now = now or timezone.now()
    recorded = 0
    rules = AutomationRule.objects.filter(
        is_active=True,
        trigger__in=[TriggerKind.DATE_REACHED, TriggerKind.NO_ACTIVITY, TriggerKind.SCHEDULED],
    ).select_related("owner")
    for rule in rules.order_by("order", "id"):
        if registry.find(rule.entity) is None:
            continue
        token = customfields.memo_for_request()
        try:
            recorded += scan_rule(rule, now=now)
        except Exception:  # one broken rule must not stop the others
            logger.exception("Automation scan of rule %s failed", rule.pk)
        finally:
            customfields.memo_end(token)
    return recorded


def scan_rule(rule: AutomationRule, *, now: datetime.datetime, force: bool = False) -> int:
    """Scan one time-based rule if it is due (or `force`); return the runs recorded."""
    if rule.trigger == TriggerKind.SCHEDULED:
        slot = latest_slot(rule.trigger_params, _zone(rule.owner), now)
        since = rule.scheduled_through or rule.created_at
        if slot is None or (slot <= since and not force):
            return 0
        if not _claim_slot(rule, slot):
            return 0
        key = f"schedule:{slot:%Y%m%dT%H%M}"
        return _scan(rule, Q(), lambda record: key, now)
    last = rule.scheduled_through
    if not force and last is not None and now - last < SCAN_INTERVAL:
        return 0
    if not _claim_slot(rule, now):
        return 0
    if rule.trigger == TriggerKind.DATE_REACHED:
        return _scan_dates(rule, now)
    if rule.trigger == TriggerKind.NO_ACTIVITY:
        return _scan_idle(rule, now)
    return 0


def _claim_slot(rule: AutomationRule, slot: datetime.datetime) -> bool:
    """Mark the rule scanned up to `slot`, unless another worker just did."""
    claimed = AutomationRule.objects.filter(
        pk=rule.pk, scheduled_through=rule.scheduled_through
    ).update(scheduled_through=slot)
    if claimed:
        rule.scheduled_through = slot
    return claimed == 1


def _zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def latest_slot(
    params: dict[str, Any], zone: zoneinfo.ZoneInfo, now: datetime.datetime
) -> datetime.datetime | None:
    """Return the latest scheduled moment at or before `now` (aware), or None."""
    try:
        hour, minute = (int(part) for part in str(params.get("time", "")).split(":"))
    except ValueError:
        return None
    local = now.astimezone(zone)
    day = local.date()
    at = datetime.time(hour, minute)
    frequency = params.get("frequency")
    for _back in range(0, 400):
        candidate_day = day - datetime.timedelta(days=_back)
        if frequency == "weekly" and candidate_day.weekday() != int(params.get("weekday", 0)):
            continue
        if frequency == "monthly":
            last_day = month_calendar.monthrange(candidate_day.year, candidate_day.month)[1]
            if candidate_day.day != min(int(params.get("day") or 1), last_day):
                continue
        candidate = datetime.datetime.combine(candidate_day, at, zone)
        if candidate <= local:
            return candidate.astimezone(datetime.UTC)
    return None


def _scan_dates(rule: AutomationRule, now: datetime.datetime) -> int:
    params = rule.trigger_params
    spec = conditions.fields_for(rule.entity).get(params.get("field", ""))
    if spec is None or spec.lookup is None:
        return 0
    offset = datetime.timedelta(days=int(params.get("days") or 0))
    today = timezone.localdate(now)
    first = max(
        today - datetime.timedelta(days=DATE_CATCH_UP_DAYS), timezone.localdate(rule.created_at)
    )
    days = []
    while first <= today:
        days.append(first - offset)
        first += datetime.timedelta(days=1)
    if not days:
        return 0
    custom = spec.key.startswith("custom.")
    if custom:
        date_q = Q(**{f"{spec.lookup}__in": [day.isoformat() for day in days]})
    elif spec.kind == conditions.DATETIME:
        date_q = Q(**{f"{spec.lookup}__date__in": days})
    else:
        date_q = Q(**{f"{spec.lookup}__in": days})

    def key(record) -> str:
        value = conditions.value_of(record, spec.key)
        if isinstance(value, datetime.datetime):
            value = timezone.localdate(value)
        shown = value if isinstance(value, str) else value.isoformat()
        return f"date:{params.get('field')}:{shown}"

    return _scan(rule, date_q, key, now)


def _scan_idle(rule: AutomationRule, now: datetime.datetime) -> int:
    cutoff = now - datetime.timedelta(days=int(rule.trigger_params.get("days") or 1))
    entity = registry.get(rule.entity)
    if rule.entity == "account":
        annotate = {}
        last = "last_followed_up_at"
    else:
        from guanxi.activities.models import Activity

        annotate = {
            "automation_last_activity": Subquery(
                Activity.objects.filter(link_entity=rule.entity, link_id=OuterRef("pk"))
                .order_by("-occurs_at")
                .values("occurs_at")[:1]
            )
        }
        last = "automation_last_activity"
    idle_q = Q(**{f"{last}__lt": cutoff}) | Q(**{f"{last}__isnull": True, "created_at__lt": cutoff})

    def key(record) -> str:
        since = getattr(record, last) or record.created_at
        return f"idle:{since:%Y%m%dT%H%M%S}"

    return _scan(rule, idle_q, key, now, annotate=annotate, model=entity.model)


def _scan(rule, extra_q: Q, key, now, *, annotate=None, model=None) -> int:
    """Record and execute a run on every record of `extra_q` meeting the rule's conditions."""
    model = model or registry.get(rule.entity).model
    tree = rule.conditions or {}
    condition = conditions.to_q(rule.entity, tree)
    queryset = model.objects.all()
    if annotate:
        queryset = queryset.annotate(**annotate)
    queryset = queryset.filter(extra_q)
    if condition is not None:
        queryset = queryset.filter(condition)
    memo: dict = {}
    recorded = 0
    after = 0
    while True:
        batch = list(queryset.filter(pk__gt=after).order_by("pk")[:BATCH])
        if not batch:
            return recorded
        after = batch[-1].pk
        if condition is None:
            batch = [one for one in batch if _matches(rule.entity, tree, one, memo=memo)]
        keyed = {one.pk: f"{key(one)}:{one.pk}" for one in batch}
        seen = set(
            AutomationRun.objects.filter(rule=rule, dedupe_key__in=keyed.values()).values_list(
                "dedupe_key", flat=True
            )
        )
        for record in batch:
            dedupe_key = keyed[record.pk]
            if dedupe_key in seen:
                continue
            recorded += _record_and_execute(
                [
                    AutomationRun(
                        rule_id=rule.pk,
                        entity=rule.entity,
                        record_id=record.pk,
                        dedupe_key=dedupe_key,
                        trigger=rule.trigger,
                        event={"name": "scan", "payload": {"at": now.isoformat()}},
                    )
                ],
                record,
            )
