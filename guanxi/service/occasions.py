"""Yearly occasions: whose birthday (or other yearly date) falls in a window of days.

A birthday recurs on its month and day; the people whose date falls between two days are
found with index range scans, one per year of birth (`birthday BETWEEN 1980-03-01 AND
1980-03-07 OR …`), so a million contacts are never read into Python. A date kept in a
custom field (JSON) is matched on its month and day text. Someone born on 29 February is
cared for on 28 February in years without one.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Max, Min, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from guanxi.core import customfields
from guanxi.core.choices import CustomFieldType
from guanxi.core.queries import filter_condition
from guanxi.core.registry import get as entity_get
from guanxi.service.choices import Audience

CUSTOM_PREFIX = "custom."
LEAP_DAY = (2, 29)
# The oldest year of birth looked for when the table's earliest date cannot be read.
EARLIEST_YEAR = 1900


@dataclass(frozen=True)
class Found:
    """One person whose yearly date falls in the window, and the day it falls on."""

    record: models.Model
    occasion: datetime.date


def model_of(audience: str) -> type[models.Model]:
    from guanxi.customers.models import Account, Contact

    return Contact if audience == Audience.CONTACT else Account


def date_field_choices(audience: str) -> list[tuple[str, str]]:
    """Return the yearly dates a plan covering `audience` may follow: date fields, custom too."""
    model = model_of(audience)
    choices = [
        (field.name, str(field.verbose_name).capitalize())
        for field in model._meta.concrete_fields
        if type(field) is models.DateField
    ]
    for definition in customfields.definitions(audience):
        if definition.field_type == CustomFieldType.DATE:
            choices.append((CUSTOM_PREFIX + definition.key, definition.label))
    return choices


def all_date_field_choices() -> list[tuple[str, str]]:
    labels = {Audience.CONTACT: _("Contact"), Audience.ACCOUNT: _("Customer")}
    return [
        (f"{audience}:{key}", f"{labels[audience]} · {label}")
        for audience in (Audience.CONTACT, Audience.ACCOUNT)
        for key, label in date_field_choices(audience)
    ]


def targets(start: datetime.date, end: datetime.date) -> dict[tuple[int, int], datetime.date]:
    """Return {(month, day): the day in the window a date with that month and day falls on}."""
    found: dict[tuple[int, int], datetime.date] = {}
    day = start
    while day <= end:
        found[(day.month, day.day)] = day
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            found[LEAP_DAY] = day
        day += datetime.timedelta(days=1)
    return found


def occasion_of(value: datetime.date, window: dict[tuple[int, int], datetime.date]):
    return window.get((value.month, value.day))


def _runs(start: datetime.date, end: datetime.date) -> list[tuple[tuple[int, int], tuple]]:
    """Return the (month, day) ranges of the window, split where a year ends."""
    runs = []
    first = start
    while first <= end:
        last = min(end, datetime.date(first.year, 12, 31))
        last_md = (last.month, last.day)
        if last_md == (2, 28) and not calendar.isleap(last.year):
            last_md = LEAP_DAY
        runs.append(((first.month, first.day), last_md))
        first = last + datetime.timedelta(days=1)
    return runs


def _on(year: int, month_day: tuple[int, int], *, at_end: bool) -> datetime.date:
    if month_day == LEAP_DAY and not calendar.isleap(year):
        return datetime.date(year, 2, 28) if at_end else datetime.date(year, 3, 1)
    return datetime.date(year, *month_day)


def date_ranges_q(field: str, start: datetime.date, end: datetime.date, years: range) -> Q:
    """Return `field` in the window's month-day ranges, one BETWEEN per year of birth."""
    condition = Q(pk__in=[])
    for first_md, last_md in _runs(start, end):
        for year in years:
            low = _on(year, first_md, at_end=False)
            high = _on(year, last_md, at_end=True)
            if low <= high:
                condition |= Q(**{f"{field}__range": (low, high)})
    return condition


def _years(queryset, field: str, last: datetime.date) -> range:
    earliest = queryset.aggregate(value=Min(field))["value"]
    latest = queryset.aggregate(value=Max(field))["value"]
    if earliest is None or latest is None:
        return range(0)
    return range(max(earliest.year, EARLIEST_YEAR), min(latest.year, last.year) + 1)


def audience_queryset(plan):
    """Return the records a plan covers, narrowed by its customer filters."""
    from guanxi.customers.models import Account

    model = model_of(plan.audience)
    queryset = model.objects.all()
    filters = {key: value for key, value in (plan.account_filters or {}).items() if value}
    if not filters:
        return queryset
    condition = filter_condition(entity_get("account"), filters, plan.created_by)
    if plan.audience == Audience.ACCOUNT:
        return queryset.filter(condition)
    return queryset.filter(account_id__in=Account.objects.filter(condition).values("pk"))


def find(plan, start: datetime.date, end: datetime.date, *, limit: int | None = None):
    """Return the people a yearly plan covers whose date falls from `start` to `end`."""
    window = targets(start, end)
    queryset = audience_queryset(plan).select_related(
        *(("owner", "account__owner") if plan.audience == Audience.CONTACT else ("owner",))
    )
    field = plan.date_field
    if field.startswith(CUSTOM_PREFIX):
        key = field[len(CUSTOM_PREFIX) :]
        month_days = [f"{month:02d}-{day:02d}" for month, day in window]
        rows = (
            queryset.annotate(care_month_day=Substr(KT(f"custom__{key}"), 6, 5))
            .filter(care_month_day__in=month_days)
            .order_by("pk")
        )
        read = _custom_reader(key)
    else:
        years = _years(model_of(plan.audience).objects.all(), field, end)
        rows = queryset.filter(date_ranges_q(field, start, end, years)).order_by("pk")
        read = _field_reader(field)
    if limit is not None:
        rows = rows[:limit]
    found = []
    for record in rows:
        value = read(record)
        occasion = occasion_of(value, window) if value else None
        if occasion is not None:
            found.append(Found(record, occasion))
    return found


def _field_reader(field: str):
    return lambda record: getattr(record, field, None)


def _custom_reader(key: str):
    def read(record):
        try:
            return datetime.date.fromisoformat(str((record.custom or {}).get(key) or ""))
        except ValueError:
            return None

    return read
