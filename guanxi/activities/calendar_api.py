"""Calendar endpoints: activities in a date range, rescheduling, the private feed link."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from ninja import Router, Schema

from guanxi.activities import calendar_queries, calendar_services
from guanxi.activities.calendar_grid import MAX_RANGE_DAYS
from guanxi.activities.choices import ActivityKind
from guanxi.api.errors import ApiError
from guanxi.api.generic import get_record, shown
from guanxi.api.schemas import out_schema
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import OutOfScope, require
from guanxi.core.services import StaleRecord

router = Router(tags=["Calendar"])
ENTITY = registry.get("activity")
ActivityOut = out_schema(ENTITY)


class CalendarOut(Schema):
    start: datetime.datetime
    end: datetime.datetime
    count: int
    items: list[ActivityOut]


class RescheduleIn(Schema):
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    due_at: datetime.datetime | None = None
    version: int | None = None


class FeedOut(Schema):
    url: str
    created_at: datetime.datetime
    last_fetched_at: datetime.datetime | None


def _moment(value: str, field: str, *, end: bool = False) -> datetime.datetime:
    """Read a date (`2026-11-01`, the day's start) or a date-time; naive means local time."""
    moment = parse_datetime(value or "")
    if moment is None:
        day = parse_date(value or "") if value else None
        if day is None:
            raise ApiError(
                400,
                _("The data is not valid."),
                {field: [_("Give a date (YYYY-MM-DD) or a date and time (ISO 8601).")]},
            )
        moment = datetime.datetime.combine(day, datetime.time.min)
        if end:
            moment += datetime.timedelta(days=1)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _whose(owner: int | None, team: int | None, department: int | None):
    chosen = [
        (kind, pk)
        for kind, pk in (("user", owner), ("team", team), ("department", department))
        if pk
    ]
    if len(chosen) > 1:
        raise ApiError(
            400,
            _("The data is not valid."),
            {"owner": [_("Give only one of owner, team or department.")]},
        )
    return calendar_queries.Whose(*chosen[0]) if chosen else calendar_queries.Whose()


@router.get("/calendar", response=CalendarOut, operation_id="calendar_range")
def calendar_range(
    request,
    start: str,
    end: str,
    owner: int | None = None,
    team: int | None = None,
    department: int | None = None,
    kind: str = "",
):
    """Activities between `start` and `end` (at most 62 days), as a calendar shows them.

    Without `owner`, `team` or `department` they are the caller's own and those the
    caller takes part in; with one, that person's, team's or department's, within the
    caller's data scope. A date as `end` includes that whole day.
    """
    require(request.auth, ENTITY.name, Action.VIEW)
    start_at, end_at = _moment(start, "start"), _moment(end, "end", end=True)
    if end_at <= start_at:
        raise ApiError(
            400, _("The data is not valid."), {"end": [_("The end must be after the start.")]}
        )
    if end_at - start_at > datetime.timedelta(days=MAX_RANGE_DAYS):
        raise ApiError(
            400,
            _("The range is too long: ask for at most %(days)s days at a time.")
            % {"days": MAX_RANGE_DAYS},
            {"end": [_("At most %(days)s days after the start.") % {"days": MAX_RANGE_DAYS}]},
        )
    if kind and kind not in ActivityKind.values:
        raise ApiError(400, _("The data is not valid."), {"kind": [_("Choose a valid kind.")]})
    queryset = calendar_queries.calendar_activities(
        request.auth, start_at, end_at, whose=_whose(owner, team, department), kind=kind
    ).prefetch_related(*ENTITY.prefetch_related)
    records = list(queryset.select_related(*ENTITY.select_related)[: calendar_queries.RANGE_LIMIT])
    return {
        "start": start_at,
        "end": end_at,
        "count": len(records),
        "items": shown(ENTITY, request.auth, records),
    }


@router.post(
    "/activities/{int:pk}/reschedule", response=ActivityOut, operation_id="activities_reschedule"
)
def reschedule(request, pk: int, payload: RescheduleIn):
    """Move an activity to a new start, keeping its length unless `ends_at` is given.

    A task without a start moves by `due_at`. Only this activity moves, also when it is the
    first of a repeating series. Send `version` to be refused (409) if it changed meanwhile.
    """
    activity = get_record(ENTITY, request.auth, pk, Action.EDIT)
    try:
        activity = calendar_services.activity_reschedule(
            actor=request.auth,
            activity=activity,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            due_at=payload.due_at,
            expected_version=payload.version,
        )
    except StaleRecord:
        raise ApiError(409, str(StaleRecord.message)) from None
    except calendar_services.CannotReschedule as error:
        raise ApiError(400, _("The data is not valid."), {error.field: [error.message]}) from None
    except OutOfScope:
        raise ApiError(403, _("You do not have permission to do this.")) from None
    return shown(ENTITY, request.auth, [get_record(ENTITY, request.auth, activity.pk)])[0]


def _feed_out(request, feed) -> dict:
    return {
        "url": request.build_absolute_uri(reverse("web:calendar_feed", args=[feed.token])),
        "created_at": feed.created_at,
        "last_fetched_at": feed.last_fetched_at,
    }


@router.get("/calendar/feed", response=FeedOut, operation_id="calendar_feed")
def calendar_feed(request):
    """The caller's private iCalendar feed URL (created on first call); keep it secret."""
    require(request.auth, ENTITY.name, Action.VIEW)
    return _feed_out(request, calendar_services.feed_for(request.auth))


@router.post("/calendar/feed/reset", response=FeedOut, operation_id="calendar_feed_reset")
def calendar_feed_reset(request):
    """Give the caller's feed a new URL; the old one answers 404 from now on."""
    require(request.auth, ENTITY.name, Action.VIEW)
    return _feed_out(request, calendar_services.feed_reset(actor=request.auth))
