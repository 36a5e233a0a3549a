"""Business calendar endpoints: `/business-calendars`, their days, holidays and due moments.

Any signed-in user reads calendars (approval and SLA deadlines are computed with them);
administrators change them. Writes go through `calendar_services`, so the API refuses
what the settings screen refuses, with the same messages.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.api.org import get_or_404, not_valid, page, require_admin, validation_errors
from guanxi.core.models import Team
from guanxi.workflow import calendar_services as services
from guanxi.workflow.calendar import business_add, working_time_of
from guanxi.workflow.calendar_days import bundled_years, clean_range
from guanxi.workflow.calendar_models import BusinessCalendar, CalendarDay, CalendarTeam

router = Router(tags=["Business calendars"])

MAX_DUE_HOURS = 10_000


class BusinessCalendarIn(Schema):
    name_zh: str | None = None
    name_en: str | None = None
    time_zone: str | None = None
    weekly_hours: dict[str, list[list[str]]] | None = None
    is_default: bool | None = None
    teams: list[int] | None = None


class BusinessCalendarOut(Schema):
    id: int
    name: str
    name_zh: str
    name_en: str
    time_zone: str
    weekly_hours: dict[str, list[list[str]]]
    is_default: bool
    teams: list[int]
    days: int


class BusinessCalendarList(Schema):
    count: int
    items: list[BusinessCalendarOut]


class CalendarDayIn(Schema):
    start: datetime.date | None = None
    end: datetime.date | None = None
    kind: str = "holiday"
    name: str = ""
    hours: list[list[str]] | None = None


class CalendarDayOut(Schema):
    id: int
    date: datetime.date
    kind: str
    name: str
    hours: list[list[str]]


class CalendarDayList(Schema):
    count: int
    items: list[CalendarDayOut]


class CalendarDaysSavedOut(Schema):
    created: int
    updated: int
    items: list[CalendarDayOut]


class CalendarLoadHolidaysIn(Schema):
    year: int


class CalendarLoadHolidaysOut(Schema):
    year: int
    created: int
    updated: int


class CalendarHolidayYearsOut(Schema):
    years: list[int]


class CalendarDueOut(Schema):
    calendar: int
    start: datetime.datetime
    hours: float
    due: datetime.datetime
    time_zone: str
    due_local: str


def calendar_out(calendar: BusinessCalendar) -> dict[str, Any]:
    days = getattr(calendar, "day_count", None)
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "name_zh": calendar.name_zh,
        "name_en": calendar.name_en,
        "time_zone": calendar.time_zone,
        "weekly_hours": calendar.weekly_hours or {},
        "is_default": calendar.is_default,
        "teams": sorted(link.team_id for link in calendar.team_links.all()),
        "days": calendar.days.count() if days is None else days,
    }


def day_out(day: CalendarDay) -> dict[str, Any]:
    return {
        "id": day.pk,
        "date": day.date,
        "kind": day.kind,
        "name": day.name,
        "hours": day.hours or [],
    }


def _calendars():
    return BusinessCalendar.objects.annotate(day_count=Count("days")).prefetch_related(
        Prefetch("team_links", queryset=CalendarTeam.objects.order_by("team_id"))
    )


def _teams(ids: list[int] | None) -> list[Team] | None:
    if ids is None:
        return None
    teams = list(Team.objects.filter(pk__in=ids))
    unknown = sorted(set(ids) - {team.pk for team in teams})
    if unknown:
        raise not_valid(
            {"teams": [_("Unknown teams: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}]}
        )
    return teams


def _save(request, calendar: BusinessCalendar, payload: BusinessCalendarIn) -> BusinessCalendar:
    actor = require_admin(request)
    sent = payload.dict(exclude_unset=True)
    teams = _teams(sent.pop("teams", None))
    values = {key: value for key, value in sent.items() if value is not None}
    try:
        saved = services.calendar_save(actor=actor, calendar=calendar, values=values, teams=teams)
    except ValidationError as error:
        raise not_valid(validation_errors(error)) from None
    return get_or_404(_calendars(), saved.pk)


@router.get("business-calendars", response=BusinessCalendarList, operation_id="calendars_list")
def calendar_list(request, limit: int = 50, offset: int = 0):
    """Business calendars, the default first, with their teams and number of dated days."""
    count, items = page(_calendars().order_by("-is_default", "name_zh", "id"), limit, offset)
    return {"count": count, "items": [calendar_out(calendar) for calendar in items]}


@router.post(
    "business-calendars", response={201: BusinessCalendarOut}, operation_id="calendars_create"
)
def calendar_create(request, payload: BusinessCalendarIn):
    """Create a calendar (administrators). `weekly_hours` maps mon…sun to ["09:00", "12:00"]
    pairs; left out, Monday to Friday 09:00–12:00 and 13:00–18:00 apply."""
    return Status(201, calendar_out(_save(request, BusinessCalendar(), payload)))


@router.get(
    "business-calendars/holiday-years",
    response=CalendarHolidayYearsOut,
    operation_id="calendars_years",
)
def holiday_years(request):
    """The years whose Chinese public holidays are bundled for `load-holidays`."""
    return {"years": bundled_years()}


@router.get(
    "business-calendars/{int:pk}", response=BusinessCalendarOut, operation_id="calendars_get"
)
def calendar_get(request, pk: int):
    return calendar_out(get_or_404(_calendars(), pk))


@router.patch(
    "business-calendars/{int:pk}", response=BusinessCalendarOut, operation_id="calendars_update"
)
def calendar_update(request, pk: int, payload: BusinessCalendarIn):
    """Change a calendar (administrators); `teams` replaces the teams that use it."""
    return calendar_out(_save(request, get_or_404(BusinessCalendar.objects.all(), pk), payload))


@router.delete("business-calendars/{int:pk}", response={204: None}, operation_id="calendars_delete")
def calendar_delete(request, pk: int):
    """Delete a calendar (administrators); the default one only when it is the last."""
    actor = require_admin(request)
    calendar = get_or_404(BusinessCalendar.objects.all(), pk)
    try:
        services.calendar_delete(actor=actor, calendar=calendar)
    except ValidationError as error:
        raise ApiError(409, " ".join(error.messages), validation_errors(error)) from None
    return Status(204, None)


@router.get(
    "business-calendars/{int:pk}/days", response=CalendarDayList, operation_id="calendar_days"
)
def day_list(request, pk: int, year: int | None = None):
    """The calendar's holidays and adjusted working days, by date (optionally of one year)."""
    calendar = get_or_404(BusinessCalendar.objects.all(), pk)
    days = CalendarDay.objects.filter(calendar=calendar).order_by("date")
    if year is not None:
        days = days.filter(date__year=year)
    items = list(days)
    return {"count": len(items), "items": [day_out(day) for day in items]}


@router.post(
    "business-calendars/{int:pk}/days",
    response={201: CalendarDaysSavedOut},
    operation_id="calendar_days_create",
)
def day_create(request, pk: int, payload: CalendarDayIn):
    """Add a holiday or an adjusted working day for each date from `start` to `end`
    (administrators); a date the calendar has already is replaced."""
    actor = require_admin(request)
    calendar = get_or_404(BusinessCalendar.objects.all(), pk)
    entries, errors = clean_range(
        start=payload.start,
        end=payload.end,
        kind=payload.kind,
        name=payload.name,
        hours=payload.hours,
    )
    if errors:
        raise not_valid(errors)
    saved = services.calendar_days_save(actor=actor, calendar=calendar, entries=entries)
    days = CalendarDay.objects.filter(
        calendar=calendar, date__in=[entry.date for entry in entries]
    ).order_by("date")
    return Status(
        201,
        {
            "created": saved.created,
            "updated": saved.updated,
            "items": [day_out(day) for day in days],
        },
    )


@router.delete(
    "business-calendars/{int:pk}/days/{int:day_id}",
    response={204: None},
    operation_id="calendar_days_delete",
)
def day_delete(request, pk: int, day_id: int):
    actor = require_admin(request)
    calendar = get_or_404(BusinessCalendar.objects.all(), pk)
    day = get_or_404(CalendarDay.objects.filter(calendar=calendar), day_id)
    services.calendar_days_delete(actor=actor, calendar=calendar, days=[day])
    return Status(204, None)


@router.post(
    "business-calendars/{int:pk}/load-holidays",
    response=CalendarLoadHolidaysOut,
    operation_id="calendar_load_holidays",
)
def load_holidays(request, pk: int, payload: CalendarLoadHolidaysIn):
    """Add the bundled Chinese public holidays and adjusted working days of `year`
    (administrators). Check them against the State Council's notice."""
    actor = require_admin(request)
    calendar = get_or_404(BusinessCalendar.objects.all(), pk)
    try:
        saved = services.calendar_load_holidays(actor=actor, calendar=calendar, year=payload.year)
    except ValidationError as error:
        raise not_valid(validation_errors(error)) from None
    return {"year": payload.year, "created": saved.created, "updated": saved.updated}


class CalendarDueQuery(Schema):
    start: datetime.datetime
    hours: float


@router.get("business-calendars/{int:pk}/due", response=CalendarDueOut, operation_id="calendar_due")
def due(request, pk: int, query: Query[CalendarDueQuery]):
    """The moment `hours` business hours after `start` on this calendar (a `start` without
    offset is read in the calendar's time zone)."""
    calendar = get_or_404(BusinessCalendar.objects.all(), pk)
    if not 0 < query.hours <= MAX_DUE_HOURS:
        raise not_valid(
            {
                "hours": [
                    _("Enter a number of hours above 0 and at most %(max)s.")
                    % {"max": MAX_DUE_HOURS}
                ]
            }
        )
    working = working_time_of(calendar.pk)
    start = query.start
    if start.tzinfo is None:
        start = start.replace(tzinfo=working.zone)
    try:
        moment = business_add(start, minutes=query.hours * 60, working=working)
    except ValueError:
        raise not_valid(
            {"hours": [_("The calendar has no working time within ten years of the start.")]}
        ) from None
    return {
        "calendar": calendar.pk,
        "start": start,
        "hours": query.hours,
        "due": moment,
        "time_zone": calendar.time_zone,
        "due_local": moment.astimezone(working.zone).isoformat(),
    }
