"""Working hours as configured: "HH:MM" intervals, checked with clear, localized messages.

Calendars store a day's hours as a list of `["09:00", "12:00"]` pairs; "24:00" ends an
interval at midnight. The settings screen, the API and the holiday loader all clean hours
here, so they refuse the same mistakes with the same words.
"""

from __future__ import annotations

import datetime
import itertools
import re

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from guanxi.workflow.calendar_models import WEEKDAY_KEYS

CLOCK = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")
DAY_MINUTES = 24 * 60
# As an interval's end, midnight means the end of the day ("24:00").
END_OF_DAY = datetime.time(0)

Interval = tuple[datetime.time, datetime.time]


def parse_clock(text: object) -> int | None:
    """Return the minutes after midnight of "HH:MM" (0–1440), or None when it is not a time."""
    match = CLOCK.match(str(text or ""))
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def weekday_label(index: int) -> str:
    return str(WEEKDAYS[index])


def clean_intervals(pairs: object, *, label: str) -> tuple[list[list[str]], list[str]]:
    """Return one day's intervals as sorted "HH:MM" pairs, and the messages of what is wrong.

    `label` names the day in the messages ("Monday", "2026-02-14").
    """
    errors: list[str] = []
    if pairs in (None, ""):
        return [], []
    if not isinstance(pairs, list | tuple):
        return [], [_("%(day)s: list the intervals as start and end times.") % {"day": label}]
    parsed: list[tuple[int, int]] = []
    for pair in pairs:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not str(pair[0] or "").strip()
            or not str(pair[1] or "").strip()
        ):
            errors.append(
                _("%(day)s: enter both the start and the end of each interval.") % {"day": label}
            )
            continue
        start, end = parse_clock(pair[0]), parse_clock(pair[1])
        for raw, value in ((pair[0], start), (pair[1], end)):
            if value is None:
                errors.append(
                    _("%(day)s: “%(value)s” is not a time; write it as 09:00.")
                    % {"day": label, "value": raw}
                )
        if start is None or end is None:
            continue
        if start >= end:
            errors.append(
                _("%(day)s: an interval must start before it ends (%(start)s–%(end)s).")
                % {"day": label, "start": format_clock(start), "end": format_clock(end)}
            )
            continue
        parsed.append((start, end))
    parsed.sort()
    for (first_start, first_end), (second_start, second_end) in itertools.pairwise(parsed):
        if second_start < first_end:
            errors.append(
                _("%(day)s: the intervals %(first)s and %(second)s overlap.")
                % {
                    "day": label,
                    "first": f"{format_clock(first_start)}–{format_clock(first_end)}",
                    "second": f"{format_clock(second_start)}–{format_clock(second_end)}",
                }
            )
    cleaned = [[format_clock(start), format_clock(end)] for start, end in parsed]
    return cleaned, errors


def clean_weekly(data: object) -> tuple[dict[str, list[list[str]]], list[str]]:
    """Return weekly hours keyed "mon"…"sun" and the messages of what is wrong with them."""
    if not isinstance(data, dict):
        return {}, [_("Give the working hours of each weekday, keyed mon to sun.")]
    errors: list[str] = []
    unknown = sorted(str(key) for key in data if key not in WEEKDAY_KEYS)
    if unknown:
        errors.append(
            _("Unknown weekdays: %(keys)s; use mon, tue, wed, thu, fri, sat, sun.")
            % {"keys": ", ".join(unknown)}
        )
    weekly: dict[str, list[list[str]]] = {}
    for index, key in enumerate(WEEKDAY_KEYS):
        cleaned, day_errors = clean_intervals(data.get(key), label=weekday_label(index))
        weekly[key] = cleaned
        errors.extend(day_errors)
    if not errors and not any(weekly.values()):
        errors.append(_("A calendar needs working hours on at least one weekday."))
    return weekly, errors


def to_time(minutes: int) -> datetime.time:
    return END_OF_DAY if minutes == DAY_MINUTES else datetime.time(minutes // 60, minutes % 60)


def to_intervals(pairs: object) -> tuple[Interval, ...]:
    """Return stored "HH:MM" pairs as time intervals (skipping anything unreadable)."""
    intervals = []
    for pair in pairs if isinstance(pairs, list | tuple) else ():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        start, end = parse_clock(pair[0]), parse_clock(pair[1])
        if start is not None and end is not None and start < end:
            intervals.append((to_time(start), to_time(end)))
    return tuple(sorted(intervals, key=lambda interval: interval[0]))


def describe(pairs: object) -> str:
    """Return intervals as "09:00–12:00, 13:00–18:00" (empty when there are none)."""
    return ", ".join(f"{start}–{end}" for start, end in (pairs or []))


def summary(weekly: dict) -> list[dict[str, str]]:
    """Return the working weekdays with runs of equal hours joined: "Monday–Friday"."""
    rows: list[dict[str, str]] = []
    previous_text, first = None, 0
    days = [describe((weekly or {}).get(key)) for key in WEEKDAY_KEYS]
    for index, text in enumerate([*days, None]):
        if text == previous_text:
            continue
        if previous_text:
            last = index - 1
            label = weekday_label(first)
            if last != first:
                label = f"{label}–{weekday_label(last)}"
            rows.append({"label": label, "text": previous_text})
        previous_text, first = text, index
    return rows
