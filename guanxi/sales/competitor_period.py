"""The period and scope the competitor, partner and call reports are read for."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _


class ReportInputError(ValueError):
    """Raised with a localized message per field when a report's parameters are wrong."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class ReportScope:
    """Say which period (dates, inclusive) and whose records a report covers."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    owner_id: int | None = None
    department_id: int | None = None

    @property
    def start_at(self) -> datetime.datetime | None:
        return _midnight(self.start) if self.start else None

    @property
    def end_before(self) -> datetime.datetime | None:
        return _midnight(self.end + datetime.timedelta(days=1)) if self.end else None

    def period_q(self, field: str) -> Q:
        """Return the condition "field lies in the period" (no condition without one)."""
        condition = Q()
        if self.start_at:
            condition &= Q(**{f"{field}__gte": self.start_at})
        if self.end_before:
            condition &= Q(**{f"{field}__lt": self.end_before})
        return condition

    def owned(self, queryset: QuerySet, owner_field: str = "owner") -> QuerySet:
        """Narrow records to the chosen rep or department (inside what the user sees)."""
        if self.owner_id:
            queryset = queryset.filter(**{f"{owner_field}_id": self.owner_id})
        if self.department_id:
            queryset = queryset.filter(**{f"{owner_field}__department_id": self.department_id})
        return queryset

    def as_params(self) -> dict[str, str]:
        params = {
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "owner": str(self.owner_id or ""),
            "department": str(self.department_id or ""),
        }
        return {key: value for key, value in params.items() if value}


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _integer(value, key: str, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[key] = [_("Enter a whole number.")]
        return None


def report_scope(params, *, default_days: int | None = 90) -> ReportScope:
    """Read start, end, owner and department from GET parameters or API query values.

    Without dates the period is the last `default_days` days up to today.
    """
    errors: dict[str, list[str]] = {}
    dates = {}
    for key in ("start", "end"):
        value = params.get(key) or ""
        if isinstance(value, datetime.date):
            dates[key] = value
            continue
        try:
            dates[key] = parse_date(value) if value else None
        except ValueError:
            dates[key] = None
        if value and dates[key] is None:
            errors[key] = [_("Enter a valid date (YYYY-MM-DD).")]
    start, end = dates["start"], dates["end"]
    if not params.get("start") and not params.get("end") and default_days and not errors:
        end = timezone.localdate()
        start = end - datetime.timedelta(days=default_days - 1)
    if start and end and start > end:
        errors["end"] = [_("The end of the period comes before its start.")]
    owner_id = _integer(params.get("owner"), "owner", errors)
    department_id = _integer(params.get("department"), "department", errors)
    if errors:
        raise ReportInputError(errors)
    return ReportScope(start=start, end=end, owner_id=owner_id, department_id=department_id)
