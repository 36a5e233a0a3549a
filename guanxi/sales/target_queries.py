"""Reads of sales targets, within what the user may see."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from guanxi.sales import forecast_scope
from guanxi.sales.models import Target


def target_list(
    viewer,
    *,
    year: int | None = None,
    period_type: str = "",
    user: int | None = None,
    team: int | None = None,
    department: int | None = None,
) -> QuerySet:
    """Return the targets the viewer may read, filtered, with their subjects."""
    targets = Target.objects.select_related("user__department", "team__department", "department")
    condition = forecast_scope.target_visibility_q(viewer)
    if condition is not None:
        targets = targets.filter(condition).distinct()
    if year:
        targets = targets.filter(
            period_start__gte=datetime.date(year, 1, 1),
            period_start__lt=datetime.date(year + 1, 1, 1),
        )
    if period_type:
        targets = targets.filter(period_type=period_type)
    for field, value in (("user_id", user), ("team_id", team), ("department_id", department)):
        if value:
            targets = targets.filter(**{field: value})
    return targets.order_by("period_start", "id")
