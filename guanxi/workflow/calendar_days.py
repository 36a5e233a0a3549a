"""Dated exceptions of a calendar as entered: date ranges, pasted lines, bundled holidays.

Everything here only reads and checks; `calendar_services` writes. A range or a pasted
line becomes `DayEntry` rows (one per date); the bundled public holidays of a year come
from `holidays/cn_<year>.json`, which names the official notice it was copied from.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guanxi.workflow.calendar_hours import clean_intervals
from guanxi.workflow.calendar_models import CalendarDayKind

HOLIDAYS_DIR = Path(__file__).resolve().parent / "holidays"
MAX_RANGE_DAYS = 366
MAX_PASTED_LINES = 400
MAX_PASTED_DAYS = 2 * MAX_RANGE_DAYS
NAME_LENGTH = 100
ONE_DAY = datetime.timedelta(days=1)

DATE = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
PASTED = re.compile(
    rf"^{DATE}(?:(?:\s*(?:~|～|至|到|\.\.|–|—|--)\s*|[\s,，;；]+){DATE})?(?:[\s,，;；]+(.*))?$"
)
HOLIDAY_WORDS = {"休", "休息", "假", "放假", "holiday", "off"}
WORKDAY_WORDS = {"班", "上班", "调休上班", "补班", "workday", "work", "working day"}
# The first word of a text and what follows its separators.
TOKEN = re.compile(r"\s*([^\s,，;；]+)[\s,，;；]*(.*)$", re.DOTALL)
HOURS_TEXT = re.compile(r"(\d{1,2}[:：]\d{2})\s*(?:-|–|—|~|～|至|到)\s*(\d{1,2}[:：]\d{2})")


@dataclass
class DayEntry:
    """One dated exception ready to be saved."""

    date: datetime.date
    kind: str
    name: str = ""
    hours: list[list[str]] = field(default_factory=list)


def parse_hours_text(text: str) -> list[list[str]] | None:
    """Return "09:00-12:00, 13:00-18:00" as pairs; None when the text is not such a list."""
    text = (text or "").strip()
    if not text:
        return []
    pairs = HOURS_TEXT.findall(text)
    rest = HOURS_TEXT.sub("", text)
    if not pairs or re.sub(r"[\s,，;；、]", "", rest):
        return None
    return [[start.replace("：", ":"), end.replace("：", ":")] for start, end in pairs]


def _date(year: str, month: str, day: str) -> datetime.date | None:
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def clean_range(
    *,
    start: datetime.date | None,
    end: datetime.date | None,
    kind: str,
    name: str = "",
    hours: object = None,
) -> tuple[list[DayEntry], dict[str, list[str]]]:
    """Return the days from `start` to `end` (one day without end) and what is wrong."""
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["start"] = [_("Enter the first day.")]
    end = end or start
    if start is not None and end is not None:
        if end < start:
            errors["end"] = [_("The last day cannot be before the first.")]
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            errors["end"] = [_("Add at most %(days)s days at once.") % {"days": MAX_RANGE_DAYS}]
    if kind not in CalendarDayKind.values:
        errors["kind"] = [_("Choose a holiday or an adjusted working day.")]
    name = (name or "").strip()
    if len(name) > NAME_LENGTH:
        errors["name"] = [_("Keep the name under %(count)s characters.") % {"count": NAME_LENGTH}]
    cleaned: list[list[str]] = []
    if kind == CalendarDayKind.WORKDAY and hours:
        cleaned, hour_errors = clean_intervals(hours, label=_("Working hours"))
        if hour_errors:
            errors["hours"] = hour_errors
    if errors or start is None or end is None:
        return [], errors
    entries = []
    day = start
    while day <= end:
        entries.append(DayEntry(date=day, kind=kind, name=name, hours=cleaned))
        day += ONE_DAY
    return entries, {}


def _kind_and_rest(rest: str) -> tuple[str, str, str]:
    """Split "班 09:00-12:00 春节调休" into kind, hours text and name."""
    kind = CalendarDayKind.HOLIDAY
    token = TOKEN.match(rest)
    if token and token.group(1).lower() in HOLIDAY_WORDS | WORKDAY_WORDS:
        if token.group(1).lower() in WORKDAY_WORDS:
            kind = CalendarDayKind.WORKDAY
        rest = token.group(2)
    hours = []
    token = TOKEN.match(rest)
    while token and HOURS_TEXT.fullmatch(token.group(1)):
        hours.append(token.group(1))
        rest = token.group(2)
        token = TOKEN.match(rest)
    return kind, ", ".join(hours), rest.strip()


def parse_pasted(text: str) -> tuple[list[DayEntry], list[str]]:
    """Read one date or date range per line: `2026-10-01 ~ 2026-10-07 休 国庆节`.

    After the dates come the kind (休/holiday, or 班/workday; a holiday when left out),
    for a working day optionally its hours (`09:00-12:00`), then the name. Return the days
    and the messages of the lines that could not be read, each naming its line.
    """
    lines = [line.strip() for line in (text or "").splitlines()]
    if len([line for line in lines if line]) > MAX_PASTED_LINES:
        return [], [_("Paste at most %(count)s lines at once.") % {"count": MAX_PASTED_LINES}]
    entries: list[DayEntry] = []
    errors: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        match = PASTED.match(line)
        start = _date(*match.groups()[0:3]) if match else None
        end = _date(*match.groups()[3:6]) if match and match.group(4) else start
        if match is None or start is None or end is None:
            errors.append(
                _("Line %(line)s: “%(text)s” does not start with a date such as 2026-10-01.")
                % {"line": number, "text": line[:60]}
            )
            continue
        kind, hours_text, name = _kind_and_rest(match.group(7) or "")
        hours = parse_hours_text(hours_text)
        found, problems = clean_range(start=start, end=end, kind=kind, name=name, hours=hours)
        for messages in problems.values():
            errors.extend(
                _("Line %(line)s: %(message)s") % {"line": number, "message": message}
                for message in messages
            )
        entries.extend(found)
    if not entries and not errors:
        errors.append(_("Paste at least one date."))
    if len(entries) > MAX_PASTED_DAYS:
        errors.append(_("Add at most %(days)s days at once.") % {"days": MAX_PASTED_DAYS})
    return entries, errors


# --- Bundled public holidays ------------------------------------------------------------------


@dataclass
class HolidayFile:
    """A year of public holidays and adjusted working days, with where they come from."""

    year: int
    source: str
    url: str
    entries: list[DayEntry]


def bundled_years() -> list[int]:
    """Return the years with bundled Chinese public holidays, oldest first."""
    years = []
    for path in HOLIDAYS_DIR.glob("cn_*.json"):
        suffix = path.stem.removeprefix("cn_")
        if suffix.isdigit():
            years.append(int(suffix))
    return sorted(years)


def _name(item: dict) -> str:
    language = (get_language() or "zh-hans").lower()
    if language.startswith("en") and item.get("name_en"):
        return str(item["name_en"])
    return str(item.get("name_zh") or item.get("name_en") or "")


def load_holiday_file(year: int) -> HolidayFile | None:
    """Return the bundled holidays of a year (names in the active language), or None."""
    if year not in bundled_years():
        return None
    data = json.loads((HOLIDAYS_DIR / f"cn_{year}.json").read_text(encoding="utf-8"))
    entries: list[DayEntry] = []
    for item in data["holidays"]:
        day = datetime.date.fromisoformat(item["start"])
        end = datetime.date.fromisoformat(item.get("end") or item["start"])
        while day <= end:
            entries.append(DayEntry(date=day, kind=CalendarDayKind.HOLIDAY, name=_name(item)))
            day += ONE_DAY
    for item in data["workdays"]:
        entries.append(
            DayEntry(
                date=datetime.date.fromisoformat(item["date"]),
                kind=CalendarDayKind.WORKDAY,
                name=_name(item),
            )
        )
    entries.sort(key=lambda entry: entry.date)
    return HolidayFile(
        year=year, source=data.get("source", ""), url=data.get("url", ""), entries=entries
    )
