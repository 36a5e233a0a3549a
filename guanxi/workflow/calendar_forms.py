"""Forms of the business calendar settings: the calendar, its weekly hours grid, its days.

The weekly hours come from repeated `<weekday>-start` / `<weekday>-end` inputs (one pair
per interval), read by `weekly_from_post`; `calendar_services` checks them.
"""

from __future__ import annotations

import datetime
import zoneinfo
from functools import cache

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import Team
from guanxi.workflow.calendar_days import (
    DayEntry,
    bundled_years,
    clean_range,
    parse_hours_text,
    parse_pasted,
)
from guanxi.workflow.calendar_hours import weekday_label
from guanxi.workflow.calendar_models import WEEKDAY_KEYS, CalendarDayKind

MAX_TRY_HOURS = 10_000


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class CalendarForm(forms.Form):
    """Name, time zone, default flag and teams of a calendar (the hours come separately)."""

    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("name (English)"), max_length=100, required=False)
    time_zone = forms.ChoiceField(
        label=_("time zone"),
        widget=forms.Select(attrs={"data-choices": "1"}),
        help_text=_("Working hours and dates are read in this time zone."),
    )
    is_default = forms.BooleanField(
        label=_("default calendar"),
        required=False,
        help_text=_("Applies to everyone whose teams have no calendar of their own."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-choices": "1"}),
        help_text=_(
            "A team uses one calendar: choosing a team here takes it off its other calendar. "
            "People follow the calendar of their teams."
        ),
    )

    def __init__(self, *args, calendar=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
        teams = self.fields["teams"]
        teams.queryset = Team.objects.select_related("business_calendar_link__calendar").order_by(
            "name"
        )
        teams.label_from_instance = lambda team: _team_label(team, calendar)
        if calendar is not None and calendar.is_default:
            self.fields["is_default"].disabled = True
            self.fields["is_default"].help_text = _(
                "This is the default calendar; make another calendar the default to change that."
            )


def _team_label(team: Team, calendar) -> str:
    link = getattr(team, "business_calendar_link", None)
    if link is None or (calendar is not None and link.calendar_id == calendar.pk):
        return team.name
    return _("%(team)s (now: %(calendar)s)") % {"team": team.name, "calendar": link.calendar}


def weekly_from_post(data) -> dict[str, list[list[str]]]:
    """Return the hours grid as sent: intervals per weekday, rows left empty dropped."""
    weekly = {}
    for key in WEEKDAY_KEYS:
        starts, ends = data.getlist(f"{key}-start"), data.getlist(f"{key}-end")
        pairs = []
        for start, end in zip(starts, ends, strict=False):
            if start.strip() or end.strip():
                pairs.append([start.strip(), end.strip()])
        weekly[key] = pairs
    return weekly


def weekly_rows(weekly: dict) -> list[dict]:
    """Return the grid's rows: each weekday's label, key and intervals."""
    return [
        {"key": key, "label": weekday_label(index), "intervals": (weekly or {}).get(key) or []}
        for index, key in enumerate(WEEKDAY_KEYS)
    ]


class DayRangeForm(forms.Form):
    """Add a holiday or adjusted working day for one date or each date of a range."""

    start = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a single day."),
    )
    kind = forms.ChoiceField(label=_("type of day"), choices=CalendarDayKind.choices)
    name = forms.CharField(label=_("name"), max_length=100, required=False)
    hours = forms.CharField(
        label=_("Working hours"),
        required=False,
        help_text=_(
            "Only for an adjusted working day, e.g. 09:00-12:00, 13:00-18:00; "
            "empty means the normal working day."
        ),
    )

    entries: list[DayEntry]

    def clean(self):
        data = super().clean()
        hours = parse_hours_text(data.get("hours") or "")
        if hours is None:
            self.add_error("hours", _("Write the hours as 09:00-12:00, 13:00-18:00."))
            return data
        if self.errors:
            return data
        self.entries, errors = clean_range(
            start=data.get("start"),
            end=data.get("end"),
            kind=data.get("kind") or "",
            name=data.get("name") or "",
            hours=hours,
        )
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return data


class PasteForm(forms.Form):
    """Add many days at once, one date or date range per line."""

    lines = forms.CharField(
        label=_("Dates"),
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "2026-10-01 ~ 2026-10-07 休 国庆节\n2026-10-10 班 国庆节调休",
            }
        ),
        help_text=_(
            "One date or range per line, then 休 (holiday) or 班 (working day), optionally the "
            "hours of a working day, then the name. A date the calendar has already is replaced."
        ),
    )

    entries: list[DayEntry]

    def clean_lines(self):
        text = self.cleaned_data["lines"]
        self.entries, errors = parse_pasted(text)
        if errors:
            raise forms.ValidationError(errors)
        return text


class HolidayYearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in bundled_years()]


class TryForm(forms.Form):
    """A start moment and a number of business hours, to see when they are due."""

    start = forms.CharField(
        label=_("Start"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    hours = forms.FloatField(
        label=_("Business hours"), min_value=0.01, max_value=MAX_TRY_HOURS, initial=8
    )

    def clean_start(self) -> datetime.datetime:
        raw = self.cleaned_data["start"].strip()
        try:
            return datetime.datetime.fromisoformat(raw)
        except ValueError:
            raise forms.ValidationError(
                _("Enter a date and time such as 2026-09-30 16:00.")
            ) from None
