"""Forecast and target periods: a month (2026-11), a quarter (2026-Q4) or a year (2026)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.sales.forecast_choices import PeriodType

PERIOD_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>\d{1,2})))?$")


class BadPeriod(ValueError):
    """Raised for a period text that names no month, quarter or year."""


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


MONTHS = {PeriodType.MONTH: 1, PeriodType.QUARTER: 3, PeriodType.YEAR: 12}


@dataclass(frozen=True)
class Period:
    """Hold a period: its type and first day; `end` is the first day after it."""

    type: str
    start: datetime.date

    @property
    def end(self) -> datetime.date:
        return _add_months(self.start, MONTHS[self.type])

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def key(self) -> str:
        if self.type == PeriodType.YEAR:
            return f"{self.start.year}"
        if self.type == PeriodType.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    def moments(self) -> tuple[datetime.datetime, datetime.datetime]:
        """Return the period's start and end as aware moments in the current time zone."""
        zone = timezone.get_current_timezone()
        return (
            datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(self.end, datetime.time.min, tzinfo=zone),
        )

    def shifted(self, steps: int) -> Period:
        return Period(self.type, _add_months(self.start, steps * MONTHS[self.type]))

    def parts(self, period_type: str) -> list[Period]:
        """Return the shorter periods of a type that make up this one."""
        step = MONTHS[period_type]
        count = MONTHS[self.type] // step
        return [
            Period(period_type, _add_months(self.start, index * step)) for index in range(count)
        ]

    def containing(self) -> list[Period]:
        """Return the longer periods this one lies in (its quarter and year)."""
        quarter = Period(
            PeriodType.QUARTER,
            datetime.date(self.start.year, (self.start.month - 1) // 3 * 3 + 1, 1),
        )
        year = Period(PeriodType.YEAR, datetime.date(self.start.year, 1, 1))
        return [period for period in (quarter, year) if MONTHS[period.type] > MONTHS[self.type]]


def parse_period(text: str) -> Period:
    """Read "2026", "2026-Q4" or "2026-11"; raise BadPeriod otherwise."""
    match = PERIOD_PATTERN.match((text or "").strip().upper())
    if not match:
        raise BadPeriod(_("Give a period as 2026, 2026-Q4 or 2026-11."))
    year = int(match["year"])
    if match["quarter"]:
        return Period(
            PeriodType.QUARTER, datetime.date(year, (int(match["quarter"]) - 1) * 3 + 1, 1)
        )
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise BadPeriod(_("Give a period as 2026, 2026-Q4 or 2026-11."))
        return Period(PeriodType.MONTH, datetime.date(year, month, 1))
    return Period(PeriodType.YEAR, datetime.date(year, 1, 1))


def period_of(period_type: str, start: datetime.date) -> Period:
    """Return the period of a type starting on a day; raise BadPeriod if none starts there."""
    if period_type not in MONTHS:
        raise BadPeriod(_("Choose month, quarter or year."))
    if start.day != 1 or (start.month - 1) % MONTHS[period_type]:
        raise BadPeriod(_("A period starts on the first day of its month, quarter or year."))
    return Period(period_type, start)


def current_period(period_type: str = PeriodType.QUARTER) -> Period:
    today = timezone.localdate()
    step = MONTHS[period_type]
    return Period(period_type, datetime.date(today.year, (today.month - 1) // step * step + 1, 1))
