"""Business time (工作时间): adding working hours to a moment, counting them between two.

Escalations, approval deadlines and the future service SLA say "after N business hours";
this module answers what moment that is and how many business minutes passed. A calendar
has weekly working hours in its time zone plus dated exceptions (public holidays, and
adjusted working days — 调休 — when a weekend day is worked).

The calendars are configured in the settings (`calendar_models`): a team's calendar, else
the calendar of the user's teams, else the default calendar applies. Without any calendar
the built-in default is Monday to Friday, 09:00–12:00 and 13:00–18:00 in the site's time
zone, without holidays. All calendars with their exceptions are read in three queries and
kept in the cache until one is changed (`forget_calendars`), so the arithmetic never
queries the database.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from guanxi.workflow.calendar_hours import END_OF_DAY, Interval, to_intervals

DEFAULT_HOURS = ((datetime.time(9), datetime.time(12)), (datetime.time(13), datetime.time(18)))
# Guard against a calendar without any working time: never look further than this.
MAX_DAYS = 3660
CACHE_KEY = "workflow:business-calendars:v1"
CACHE_SECONDS = 300
ONE_DAY = datetime.timedelta(days=1)
UTC = datetime.UTC


@dataclass
class WorkingTime:
    """What a calendar says about working time, in memory."""

    zone: zoneinfo.ZoneInfo
    # Monday=0 … Sunday=6 → the day's working intervals (start, end) in local time; an end
    # of 00:00 is the midnight that ends the day.
    weekly: dict[int, tuple[Interval, ...]]
    # Dated exceptions: a holiday maps to (), an adjusted working day to its intervals.
    exceptions: dict[datetime.date, tuple[Interval, ...]] = field(default_factory=dict)
    # The configured calendar this comes from (None for the built-in default).
    calendar_id: int | None = None

    def intervals(self, day: datetime.date) -> tuple[Interval, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())

    def spans(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """Return the day's working spans as UTC datetimes (exact across DST changes)."""
        spans = []
        for begin, end in self.intervals(day):
            span_start = datetime.datetime.combine(day, begin, self.zone)
            span_end = datetime.datetime.combine(
                day + ONE_DAY if end == END_OF_DAY else day, end, self.zone
            )
            spans.append((span_start.astimezone(UTC), span_end.astimezone(UTC)))
        return spans


def default_working_time() -> WorkingTime:
    """Return the built-in default: weekdays 09:00–12:00 and 13:00–18:00, site zone."""
    return WorkingTime(
        zone=zoneinfo.ZoneInfo(settings.TIME_ZONE),
        weekly={weekday: DEFAULT_HOURS for weekday in range(5)},
    )


# --- Configured calendars ----------------------------------------------------------------------


@dataclass
class Catalogue:
    """Every configured calendar as working time, which one is the default, and team links."""

    calendars: dict[int, WorkingTime] = field(default_factory=dict)
    default_id: int | None = None
    team_calendar: dict[int, int] = field(default_factory=dict)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def normal_day(weekly: dict[int, tuple[Interval, ...]]) -> tuple[Interval, ...]:
    """Return the hours of a normal working day: those of the first weekday that has any."""
    for weekday in range(7):
        if weekly.get(weekday):
            return weekly[weekday]
    return DEFAULT_HOURS


def load_catalogue() -> Catalogue:
    """Read every calendar, its exceptions and its teams (three queries)."""
    from guanxi.workflow.calendar_models import (
        WEEKDAY_KEYS,
        BusinessCalendar,
        CalendarDay,
        CalendarTeam,
    )

    catalogue = Catalogue()
    normal: dict[int, tuple[Interval, ...]] = {}
    rows = BusinessCalendar.objects.values_list("pk", "time_zone", "weekly_hours", "is_default")
    for pk, zone, weekly_hours, is_default in rows.order_by("pk"):
        weekly = {
            index: to_intervals((weekly_hours or {}).get(key))
            for index, key in enumerate(WEEKDAY_KEYS)
        }
        catalogue.calendars[pk] = WorkingTime(zone=_zone(zone), weekly=weekly, calendar_id=pk)
        normal[pk] = normal_day(weekly)
        if is_default and catalogue.default_id is None:
            catalogue.default_id = pk
    days = CalendarDay.objects.values_list("calendar_id", "date", "kind", "hours")
    for calendar_id, date, kind, hours in days:
        working = catalogue.calendars.get(calendar_id)
        if working is None:
            continue
        working.exceptions[date] = (
            () if kind == "holiday" else to_intervals(hours) or normal[calendar_id]
        )
    catalogue.team_calendar = dict(CalendarTeam.objects.values_list("team_id", "calendar_id"))
    return catalogue


def catalogue() -> Catalogue:
    """Return the configured calendars, from the cache when they were read recently."""
    found = cache.get(CACHE_KEY)
    if found is None:
        found = load_catalogue()
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found


def forget_calendars() -> None:
    """Forget the cached calendars after one was changed (now and once the change commits)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def _pk(value) -> int | None:
    return value if isinstance(value, int) else getattr(value, "pk", None)


def working_time_for(*, team=None, user=None) -> WorkingTime:
    """Return the working time that applies to a team or a user (the default otherwise).

    A team's own calendar comes first, then the calendar of the user's teams (the team
    with the lowest id wins when several have one), then the default calendar, then the
    built-in default. `team` and `user` may be instances or ids.
    """
    configured = catalogue()
    calendar_id = None
    team_id = _pk(team)
    if team_id is not None:
        calendar_id = configured.team_calendar.get(team_id)
    if calendar_id is None and user is not None and configured.team_calendar:
        calendar_id = _user_calendar(configured, user)
    if calendar_id is None:
        calendar_id = configured.default_id
    if calendar_id is None:
        return default_working_time()
    return configured.calendars[calendar_id]


def _user_calendar(configured: Catalogue, user) -> int | None:
    from guanxi.core.models import Team
    from guanxi.core.permissions import team_ids

    if isinstance(user, int):
        memberships = Team.members.through.objects.filter(user_id=user)
        ids = list(memberships.values_list("team_id", flat=True))
    elif getattr(user, "pk", None) is None:
        return None
    else:
        ids = team_ids(user)
    for team_id in sorted(ids):
        if team_id in configured.team_calendar:
            return configured.team_calendar[team_id]
    return None


def working_time_of(calendar_id: int) -> WorkingTime | None:
    """Return the working time of one configured calendar (None when it does not exist)."""
    found = catalogue().calendars.get(calendar_id)
    if found is None:
        # Created by another process since this one cached the calendars.
        cache.delete(CACHE_KEY)
        found = catalogue().calendars.get(calendar_id)
    return found


# --- Arithmetic -------------------------------------------------------------------------------


def _aware(moment: datetime.datetime, working: WorkingTime) -> datetime.datetime:
    """Return the moment as aware UTC; a naive moment is read in the calendar's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=working.zone)
    return moment.astimezone(UTC)


def _spans(working: WorkingTime, start: datetime.datetime):
    """Yield the working spans (aware UTC datetimes) from `start` on, in order."""
    start = _aware(start, working)
    day = start.astimezone(working.zone).date()
    for _offset in range(MAX_DAYS):
        for span_start, span_end in working.spans(day):
            if span_end <= start:
                continue
            yield max(span_start, start), span_end
        day += ONE_DAY


def business_add(
    start: datetime.datetime, *, minutes: float, working: WorkingTime | None = None
) -> datetime.datetime:
    """Return the moment `minutes` business minutes after `start` (aware datetimes).

    Without `working`, the default calendar applies (`working_time_for()`).
    """
    working = working or working_time_for()
    left = datetime.timedelta(minutes=minutes)
    if left <= datetime.timedelta(0):
        return start
    for span_start, span_end in _spans(working, start):
        length = span_end - span_start
        if left <= length:
            return span_start + left
        left -= length
    raise ValueError("The calendar has no working time.")


def business_minutes_between(
    start: datetime.datetime, end: datetime.datetime, *, working: WorkingTime | None = None
) -> float:
    """Return the business minutes from `start` to `end` (0 when end is not later)."""
    working = working or working_time_for()
    start, end = _aware(start, working), _aware(end, working)
    total = datetime.timedelta(0)
    if end <= start:
        return 0.0
    for span_start, span_end in _spans(working, start):
        if span_start >= end:
            break
        total += min(span_end, end) - span_start
    return total.total_seconds() / 60


def is_working_time(moment: datetime.datetime, working: WorkingTime | None = None) -> bool:
    """Tell whether the moment falls inside the calendar's working time."""
    working = working or working_time_for()
    moment = _aware(moment, working)
    day = moment.astimezone(working.zone).date()
    return any(start <= moment < end for start, end in working.spans(day))


def next_working_moment(
    moment: datetime.datetime, working: WorkingTime | None = None
) -> datetime.datetime:
    """Return the moment itself during working time, else when working time next begins."""
    working = working or working_time_for()
    for span_start, _span_end in _spans(working, moment):
        return span_start
    raise ValueError("The calendar has no working time.")
