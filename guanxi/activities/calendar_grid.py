"""Calendar arithmetic: the days a month, week or day view shows, and where events sit.

Pure functions of dates and activities, with no database access, so the grid math is
tested on its own: weeks spanning two months or two years, the first day of the week of
the user's language, events laid side by side when they overlap.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import formats, timezone

VIEWS = ("month", "week", "day")
SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
# Pixels of one 30-minute slot in the week and day views.
SLOT_HEIGHT = 24
# Events shown in one month cell before "+N more".
MONTH_CELL_LIMIT = 4
# The longest range the calendar reads at once (a 6-week month grid is 42 days).
MAX_RANGE_DAYS = 62
# How far back an event may start and still be shown spanning into the range.
MAX_SPAN_DAYS = 31


def first_weekday() -> int:
    """Return the first day of the week of the active language (0 Monday … 6 Sunday).

    Django's locale formats count from Sunday (0): English starts on Sunday, Chinese on
    Monday.
    """
    django_first = int(formats.get_format("FIRST_DAY_OF_WEEK"))
    return (django_first - 1) % 7


def week_start(day: datetime.date, first: int) -> datetime.date:
    """Return the first day of the week that holds `day`."""
    return day - datetime.timedelta(days=(day.weekday() - first) % 7)


def month_weeks(day: datetime.date, first: int) -> list[list[datetime.date]]:
    """Return the weeks (lists of 7 dates) of the month grid that holds `day`.

    The grid starts on the first day of the week of the month's first day and ends with
    the week of its last day: 4 to 6 rows, with days of the months around it.
    """
    month_first = day.replace(day=1)
    next_month = (month_first + datetime.timedelta(days=32)).replace(day=1)
    start = week_start(month_first, first)
    weeks = []
    while start < next_month:
        weeks.append([start + datetime.timedelta(days=offset) for offset in range(7)])
        start += datetime.timedelta(days=7)
    return weeks


def days_of(view: str, day: datetime.date, first: int) -> list[datetime.date]:
    """Return the days a view shows around `day`, in order."""
    if view == "month":
        return [date for week in month_weeks(day, first) for date in week]
    if view == "week":
        start = week_start(day, first)
        return [start + datetime.timedelta(days=offset) for offset in range(7)]
    return [day]


def shift(view: str, day: datetime.date, steps: int) -> datetime.date:
    """Return the day `steps` periods (months, weeks or days) away from `day`."""
    if view == "month":
        month_index = day.year * 12 + day.month - 1 + steps
        year, month = divmod(month_index, 12)
        return datetime.date(year, month + 1, 1)
    if view == "week":
        return day + datetime.timedelta(days=7 * steps)
    return day + datetime.timedelta(days=steps)


def bounds(days: list[datetime.date], zone=None) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the aware start of the first day and end of the last day of a range."""
    zone = zone or timezone.get_current_timezone()
    start = datetime.datetime.combine(days[0], datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        days[-1] + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return start, end


def moved(
    *,
    starts_at: datetime.datetime | None,
    ends_at: datetime.datetime | None,
    due_at: datetime.datetime | None,
    new_start: datetime.datetime,
) -> tuple[datetime.datetime | None, datetime.datetime | None, datetime.datetime | None]:
    """Return (starts_at, ends_at, due_at) moved so the anchor lands on `new_start`.

    The anchor is the start, or the due time of a task without one; every time moves by
    the same amount, so the duration and the gap to a due time are kept.
    """
    anchor = starts_at or due_at
    if anchor is None:
        return starts_at, ends_at, due_at
    delta = new_start - anchor
    return tuple(moment + delta if moment else None for moment in (starts_at, ends_at, due_at))  # type: ignore[return-value]


@dataclass
class Placed:
    """One activity as a view shows it on one day."""

    activity: object
    day: datetime.date
    start_minute: int = 0
    end_minute: int = 0
    lane: int = 0
    lanes: int = 1
    continues_before: bool = False
    continues_after: bool = False

    @property
    def top(self) -> int:
        return self.start_minute * SLOT_HEIGHT // SLOT_MINUTES

    @property
    def height(self) -> int:
        minutes = max(self.end_minute - self.start_minute, SLOT_MINUTES)
        return minutes * SLOT_HEIGHT // SLOT_MINUTES - 2

    @property
    def left(self) -> float:
        return round(100 * self.lane / self.lanes, 2)

    @property
    def width(self) -> float:
        return round(100 / self.lanes, 2)


@dataclass
class Day:
    """One day of a view: its timed activities laid out, its all-day ones, the rest."""

    date: datetime.date
    in_month: bool = True
    is_today: bool = False
    all_day: list[Placed] = field(default_factory=list)
    timed: list[Placed] = field(default_factory=list)

    @property
    def items(self) -> list[Placed]:
        """Return the day's activities: all-day and multi-day first, then by start."""
        return self.all_day + self.timed

    @property
    def shown(self) -> list[Placed]:
        return self.items[:MONTH_CELL_LIMIT]

    @property
    def hidden_count(self) -> int:
        return max(0, len(self.all_day) + len(self.timed) - MONTH_CELL_LIMIT)


def span_of(activity) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the local start and end of an activity as the calendar draws it."""
    start = timezone.localtime(activity.starts_at or activity.due_at or activity.occurs_at)
    if activity.starts_at and activity.ends_at and activity.ends_at > activity.starts_at:
        end = timezone.localtime(activity.ends_at)
    else:
        end = start + datetime.timedelta(minutes=SLOT_MINUTES)
    return start, end


def place(activities, days: list[datetime.date], month: int | None = None) -> list[Day]:
    """Return the days of a view with each activity placed on every day it covers."""
    today = timezone.localdate()
    by_date = {
        date: Day(date=date, in_month=month is None or date.month == month, is_today=date == today)
        for date in days
    }
    for activity in activities:
        start, end = span_of(activity)
        last = (end - datetime.timedelta(microseconds=1)).date()
        date = start.date()
        while date <= last:
            target = by_date.get(date)
            if target is not None:
                first_day, last_day = date == start.date(), date == last
                begin = start.hour * 60 + start.minute if first_day else 0
                finish = end.hour * 60 + end.minute if last_day else 24 * 60
                placed = Placed(
                    activity=activity,
                    day=date,
                    start_minute=begin,
                    end_minute=finish or 24 * 60,
                    continues_before=not first_day,
                    continues_after=not last_day,
                )
                spans_days = start.date() != last
                (target.all_day if activity.all_day or spans_days else target.timed).append(placed)
            date += datetime.timedelta(days=1)
    for day in by_date.values():
        lay_out(day.timed)
    return list(by_date.values())


def lay_out(items: list[Placed]) -> None:
    """Give overlapping events of one day side-by-side lanes (greedy, by start)."""
    items.sort(key=lambda placed: (placed.start_minute, -placed.end_minute))
    group: list[Placed] = []
    lane_ends: list[int] = []
    group_end = -1
    for placed in items:
        if placed.start_minute >= group_end and group:
            for member in group:
                member.lanes = len(lane_ends)
            group, lane_ends = [], []
        end = max(placed.end_minute, placed.start_minute + SLOT_MINUTES)
        for index, lane_end in enumerate(lane_ends):
            if lane_end <= placed.start_minute:
                placed.lane, lane_ends[index] = index, end
                break
        else:
            placed.lane = len(lane_ends)
            lane_ends.append(end)
        group.append(placed)
        group_end = max(group_end, end)
    for member in group:
        member.lanes = len(lane_ends)


def parse_day(value: str | None) -> datetime.date:
    """Return the date of a `YYYY-MM-DD` value, or today for a missing or bad one."""
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return timezone.localdate()
