"""Business time (工作时间): adding working hours to a moment, counting them between two.

Escalations, approval deadlines and the future service SLA say "after N business hours";
this module answers what moment that is and how many business minutes passed. A calendar
has weekly working hours in its time zone plus dated exceptions (public holidays, and
adjusted working days — 调休 — when a weekend day is worked).

Until calendars are configured, the default is Monday to Friday, 09:00–12:00 and
13:00–18:00 in the site's time zone, without holidays.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings

DEFAULT_HOURS = ((datetime.time(9), datetime.time(12)), (datetime.time(13), datetime.time(18)))
# Guard against a calendar without any working time: never look further than this.
MAX_DAYS = 3660


@dataclass
class WorkingTime:
    """What a calendar says about working time, in memory."""

    zone: zoneinfo.ZoneInfo
    # Monday=0 … Sunday=6 → the day's working intervals (start, end) in local time.
    weekly: dict[int, tuple[tuple[datetime.time, datetime.time], ...]]
    # Dated exceptions: a holiday maps to (), an adjusted working day to its intervals.
    exceptions: dict[datetime.date, tuple[tuple[datetime.time, datetime.time], ...]] = field(
        default_factory=dict
    )

    def intervals(self, day: datetime.date) -> tuple[tuple[datetime.time, datetime.time], ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())


def default_working_time() -> WorkingTime:
    return WorkingTime(
        zone=zoneinfo.ZoneInfo(settings.TIME_ZONE),
        weekly={weekday: DEFAULT_HOURS for weekday in range(5)},
    )


def working_time_for(*, team=None, user=None) -> WorkingTime:
    """Return the working time that applies to a team or a user (the default otherwise)."""
    return default_working_time()


def _spans(working: WorkingTime, start: datetime.datetime):
    """Yield the working spans (aware datetimes) from `start` on, in order."""
    local = start.astimezone(working.zone)
    day = local.date()
    for _offset in range(MAX_DAYS):
        for begin, end in working.intervals(day):
            span_start = datetime.datetime.combine(day, begin, working.zone)
            span_end = datetime.datetime.combine(day, end, working.zone)
            if span_end <= start:
                continue
            yield max(span_start, start), span_end
        day += datetime.timedelta(days=1)


def business_add(
    start: datetime.datetime, *, minutes: float, working: WorkingTime | None = None
) -> datetime.datetime:
    """Return the moment `minutes` business minutes after `start` (aware datetimes)."""
    working = working or default_working_time()
    left = datetime.timedelta(minutes=minutes)
    if left <= datetime.timedelta(0):
        return start
    for span_start, span_end in _spans(working, start):
        length = span_end - span_start
        if left <= length:
            return (span_start + left).astimezone(datetime.UTC)
        left -= length
    raise ValueError("The calendar has no working time.")


def business_minutes_between(
    start: datetime.datetime, end: datetime.datetime, *, working: WorkingTime | None = None
) -> float:
    """Return the business minutes from `start` to `end` (0 when end is not later)."""
    working = working or default_working_time()
    total = datetime.timedelta(0)
    if end <= start:
        return 0.0
    for span_start, span_end in _spans(working, start):
        if span_start >= end:
            break
        total += min(span_end, end) - span_start
    return total.total_seconds() / 60
