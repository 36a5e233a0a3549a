"""Repeating activities: the moments of a series, computed from its rule.

A repeating meeting, call or visit has its occurrences created up front (to the end date,
or a year ahead), so calendars and feeds show them; a repeating task gets its next
occurrence when the current one is done, so a task list never fills with the future.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator

from guanxi.activities.choices import Recurrence

HORIZON = datetime.timedelta(days=366)
MAX_OCCURRENCES = 200


def _add_months(moment: datetime.datetime, months: int, day: int) -> datetime.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return moment.replace(year=year, month=month, day=min(day, last))


def next_moment(
    moment: datetime.datetime, rule: str, interval: int, *, anchor_day: int | None = None
) -> datetime.datetime:
    """Return the moment after `moment` in a series (month ends clamp: 31 Jan → 28 Feb)."""
    interval = max(1, interval or 1)
    day = anchor_day or moment.day
    if rule == Recurrence.DAILY:
        return moment + datetime.timedelta(days=interval)
    if rule == Recurrence.WEEKDAYS:
        following = moment + datetime.timedelta(days=1)
        while following.weekday() >= 5:
            following += datetime.timedelta(days=1)
        return following
    if rule == Recurrence.WEEKLY:
        return moment + datetime.timedelta(weeks=interval)
    if rule == Recurrence.MONTHLY:
        return _add_months(moment, interval, day)
    if rule == Recurrence.YEARLY:
        return _add_months(moment, 12 * interval, day)
    raise ValueError(f"Unknown recurrence rule {rule!r}")


def moments(
    first: datetime.datetime,
    rule: str,
    interval: int,
    until: datetime.date | None,
    *,
    limit: int = MAX_OCCURRENCES,
) -> Iterator[datetime.datetime]:
    """Yield the moments after `first` up to `until` (or a year), at most `limit` of them.

    Local wall-clock time is kept across daylight-saving changes: the arithmetic runs on
    the aware datetime's own fields.
    """
    end = until or (first + HORIZON).date()
    moment = first
    for _count in range(limit):
        moment = next_moment(moment, rule, interval, anchor_day=first.day)
        if moment.date() > end:
            return
        yield moment
