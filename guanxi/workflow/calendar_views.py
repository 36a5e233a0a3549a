"""Settings screens of business calendars (工作日历), for administrators.

The list; a calendar's form with its weekly hours grid, default flag and teams; and a
calendar's page with its holidays and adjusted working days by month, the forms that add
them (a date range, pasted lines, the bundled Chinese public holidays of a year), and a
"try it" box that shows when N business hours after a moment are due.
"""

from __future__ import annotations

import datetime
import zoneinfo
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.web.views.decorators import settings_required
from guanxi.workflow import calendar_services as services
from guanxi.workflow.calendar import business_add, working_time_of
from guanxi.workflow.calendar_forms import (
    CalendarForm,
    DayRangeForm,
    HolidayYearForm,
    PasteForm,
    TryForm,
    weekly_from_post,
    weekly_rows,
)
from guanxi.workflow.calendar_hours import clean_weekly, describe, summary
from guanxi.workflow.calendar_models import BusinessCalendar, CalendarDay, CalendarTeam

SECTION = "business_calendars"


def _render(request, template: str, context: dict, status: int = 200):
    return render(request, template, {"settings_section": SECTION, **context}, status=status)


def _with_teams():
    return BusinessCalendar.objects.prefetch_related(
        Prefetch(
            "team_links",
            queryset=CalendarTeam.objects.select_related("team").order_by("team__name"),
        )
    )


@settings_required
def calendar_list(request):
    """List the calendars: hours per weekday, time zone, teams, dated days, the default."""
    calendars = list(
        _with_teams().annotate(day_count=Count("days")).order_by("-is_default", "name_zh", "id")
    )
    for calendar in calendars:
        calendar.rows = summary(calendar.weekly_hours)
    return _render(request, "workflow/calendar/list.html", {"calendars": calendars})


def _apply_errors(form: CalendarForm, error: ValidationError) -> list[str]:
    """Put a service's errors on the form; return those of the hours grid."""
    grid: list[str] = []
    for key, found in error.message_dict.items():
        if key == "weekly_hours":
            grid.extend(found)
        else:
            for message in found:
                form.add_error(key if key in form.fields else None, message)
    return grid


@settings_required
def calendar_edit(request, pk: int | None = None):
    """Create or change a calendar: names, time zone, default, teams and weekly hours."""
    calendar = get_object_or_404(BusinessCalendar, pk=pk) if pk else BusinessCalendar()
    initial = {
        "name_zh": calendar.name_zh,
        "name_en": calendar.name_en,
        "time_zone": calendar.time_zone,
        "is_default": calendar.is_default,
        "teams": list(calendar.teams.all()) if calendar.pk else [],
    }
    form = CalendarForm(request.POST or None, initial=initial, calendar=calendar)
    weekly = weekly_from_post(request.POST) if request.method == "POST" else calendar.weekly_hours
    grid_errors: list[str] = []
    if request.method == "POST" and not form.is_valid():
        grid_errors = clean_weekly(weekly)[1]
    if request.method == "POST" and form.is_valid():
        values = {
            key: form.cleaned_data[key] for key in ("name_zh", "name_en", "time_zone", "is_default")
        }
        if calendar.is_default:
            values["is_default"] = True
        values["weekly_hours"] = weekly
        try:
            calendar = services.calendar_save(
                actor=request.user,
                calendar=calendar,
                values=values,
                teams=list(form.cleaned_data["teams"]),
            )
        except ValidationError as error:
            grid_errors = _apply_errors(form, error)
        else:
            messages.success(
                request, _("The business calendar “%(name)s” was saved.") % {"name": calendar}
            )
            return redirect("web:business_calendar_detail", pk=calendar.pk)
    return _render(
        request,
        "workflow/calendar/form.html",
        {
            "form": form,
            "calendar": calendar,
            "rows": weekly_rows(weekly),
            "grid_errors": grid_errors,
            "heading": str(calendar) if calendar.pk else _("New business calendar"),
        },
        status=400 if request.method == "POST" else 200,
    )


def _year(request, years: list[int]) -> int:
    raw = request.GET.get("year") or ""
    if raw.isdigit() and 1900 < int(raw) < 3000:
        return int(raw)
    today = timezone.localdate()
    return today.year if today.year in years or not years else max(years)


def _months(days: list[CalendarDay]) -> list[dict]:
    return [
        {"label": MONTHS[month], "days": list(group)}
        for month, group in groupby(days, key=lambda day: day.date.month)
    ]


def _now_in(calendar: BusinessCalendar) -> datetime.datetime:
    try:
        return timezone.now().astimezone(zoneinfo.ZoneInfo(calendar.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.localtime()


def _try(calendar: BusinessCalendar, form: TryForm) -> dict | None:
    if not form.is_bound or not form.is_valid():
        return None
    working = working_time_of(calendar.pk)
    start = form.cleaned_data["start"]
    if start.tzinfo is None:
        start = start.replace(tzinfo=working.zone)
    try:
        due = business_add(start, minutes=form.cleaned_data["hours"] * 60, working=working)
    except ValueError:
        form.add_error(None, _("The calendar has no working time within ten years of the start."))
        return None
    local = due.astimezone(working.zone)
    mine = timezone.localtime(due)
    return {
        "due": local,
        "weekday": formats.date_format(local, "l"),
        "mine": mine if mine.utcoffset() != local.utcoffset() else None,
        "hours": form.cleaned_data["hours"],
    }


def _detail(request, calendar: BusinessCalendar, status: int = 200, **forms):
    """Render a calendar's page; `forms` replaces the blank forms (to show their errors)."""
    years = sorted(
        {date.year for date in CalendarDay.objects.filter(calendar=calendar).dates("date", "year")}
    )
    year = _year(request, years)
    shown_years = sorted({*years, year, timezone.localdate().year, timezone.localdate().year + 1})
    days = list(CalendarDay.objects.filter(calendar=calendar, date__year=year).order_by("date"))
    try_form = TryForm(
        request.GET if "try-hours" in request.GET else None,
        initial={"start": _now_in(calendar).strftime("%Y-%m-%dT%H:%M")},
        prefix="try",
    )
    bundled = HolidayYearForm(initial={"year": year})
    context = {
        "calendar": calendar,
        "rows": [
            {**row, "text": describe(row["intervals"])}
            for row in weekly_rows(calendar.weekly_hours)
        ],
        "year": year,
        "years": shown_years,
        "months": _months(days),
        "day_count": len(days),
        "range_form": forms.get("range_form") or DayRangeForm(initial={"kind": "holiday"}),
        "paste_form": forms.get("paste_form") or PasteForm(),
        "holiday_form": forms.get("holiday_form") or bundled,
        "bundled_years": [choice[0] for choice in bundled.fields["year"].choices],
        "try_form": try_form,
        "result": _try(calendar, try_form),
    }
    if request.headers.get("HX-Request") and "try-hours" in request.GET:
        return render(request, "workflow/calendar/partials/try.html", context)
    return _render(request, "workflow/calendar/detail.html", context, status=status)


@settings_required
def calendar_detail(request, pk: int):
    calendar = get_object_or_404(_with_teams(), pk=pk)
    return _detail(request, calendar)


def _back(calendar: BusinessCalendar, year: int | None = None) -> str:
    url = reverse("web:business_calendar_detail", args=[calendar.pk])
    return f"{url}?year={year}" if year else url


def _saved_message(request, saved: services.DaysSaved) -> None:
    messages.success(
        request,
        _("%(created)s days were added and %(updated)s replaced.")
        % {"created": saved.created, "updated": saved.updated},
    )


def _days_save(request, pk: int, form_class, form_name: str):
    """Save the days a range or paste form describes, or show the form with its errors."""
    calendar = get_object_or_404(_with_teams(), pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _detail(request, calendar, status=400, **{form_name: form})
    saved = services.calendar_days_save(actor=request.user, calendar=calendar, entries=form.entries)
    _saved_message(request, saved)
    return redirect(_back(calendar, form.entries[0].date.year))


@settings_required
@require_POST
def calendar_days_add(request, pk: int):
    """Add a holiday or adjusted working day for a date or each date of a range."""
    return _days_save(request, pk, DayRangeForm, "range_form")


@settings_required
@require_POST
def calendar_days_paste(request, pk: int):
    """Add the pasted dates, one date or range per line."""
    return _days_save(request, pk, PasteForm, "paste_form")


@settings_required
@require_POST
def calendar_holidays_load(request, pk: int):
    """Add the bundled Chinese public holidays and adjusted working days of a year."""
    calendar = get_object_or_404(_with_teams(), pk=pk)
    form = HolidayYearForm(request.POST)
    if not form.is_valid():
        return _detail(request, calendar, status=400, holiday_form=form)
    year = form.cleaned_data["year"]
    saved = services.calendar_load_holidays(actor=request.user, calendar=calendar, year=year)
    messages.success(
        request,
        _(
            "The public holidays of %(year)s were added: %(created)s days new, %(updated)s "
            "replaced. Check them against the State Council's notice."
        )
        % {"year": year, "created": saved.created, "updated": saved.updated},
    )
    return redirect(_back(calendar, year))


@settings_required
@require_POST
def calendar_day_delete(request, pk: int, day_pk: int):
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    day = get_object_or_404(CalendarDay, pk=day_pk, calendar=calendar)
    services.calendar_days_delete(actor=request.user, calendar=calendar, days=[day])
    messages.success(
        request,
        _("%(date)s was removed from the calendar.")
        % {"date": formats.date_format(day.date, "DATE_FORMAT")},
    )
    return redirect(_back(calendar, day.date.year))


@settings_required
@require_POST
def calendar_year_delete(request, pk: int):
    """Delete every holiday and adjusted working day of one year (e.g. before reloading it)."""
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    raw = request.POST.get("year") or ""
    year = int(raw) if raw.isdigit() else None
    days = list(CalendarDay.objects.filter(calendar=calendar, date__year=year)) if year else []
    deleted = services.calendar_days_delete(actor=request.user, calendar=calendar, days=days)
    messages.success(
        request,
        _("%(count)s days of %(year)s were removed from the calendar.")
        % {"count": deleted, "year": year or "—"},
    )
    return redirect(_back(calendar, year))


@settings_required
@require_POST
def calendar_default(request, pk: int):
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    services.calendar_set_default(actor=request.user, calendar=calendar)
    messages.success(
        request, _("“%(name)s” is now the default business calendar.") % {"name": calendar}
    )
    return redirect("web:business_calendar_list")


@settings_required
def calendar_delete(request, pk: int):
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    if request.method == "POST":
        try:
            services.calendar_delete(actor=request.user, calendar=calendar)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("The business calendar “%(name)s” was deleted.") % {"name": calendar}
            )
        return redirect("web:business_calendar_list")
    return _render(
        request,
        "customers/settings/confirm_delete.html",
        {
            "question": _(
                "Delete the business calendar “%(name)s” with its holidays and adjusted working "
                "days? Its teams then follow the default calendar."
            )
            % {"name": calendar},
            "back": reverse("web:business_calendar_list"),
        },
    )
