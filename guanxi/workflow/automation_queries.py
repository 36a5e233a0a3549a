"""Reads of the automation monitor, shared by the screens and the API."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from guanxi.workflow.automation_models import AutomationRule, AutomationRun


def run_list(
    *,
    rule: int | None = None,
    status: str = "",
    entity: str = "",
    record: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AutomationRun]:
    """Return runs newest first, filtered; every filter has an index."""
    runs = AutomationRun.objects.select_related("rule").order_by("-id")
    if rule:
        runs = runs.filter(rule_id=rule)
    if status:
        runs = runs.filter(status=status)
    if entity:
        runs = runs.filter(entity=entity)
    if record:
        runs = runs.filter(record_id=record)
    zone = timezone.get_current_timezone()
    if date_from:
        runs = runs.filter(
            created_at__gte=datetime.datetime.combine(date_from, datetime.time.min, zone)
        )
    if date_to:
        end = date_to + datetime.timedelta(days=1)
        runs = runs.filter(created_at__lt=datetime.datetime.combine(end, datetime.time.min, zone))
    return runs


def page(runs: QuerySet, *, limit: int, offset: int) -> tuple[list, bool]:
    """Return one page and whether there is more (no COUNT over the runs table)."""
    limit = max(1, min(limit, 200))
    rows = list(runs[max(0, offset) : max(0, offset) + limit + 1])
    return rows[:limit], len(rows) > limit


def rule_list() -> QuerySet[AutomationRule]:
    return AutomationRule.objects.select_related("owner").order_by("entity", "order", "id")
