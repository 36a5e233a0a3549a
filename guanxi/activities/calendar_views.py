"""The calendar screen (日历): month, week and day views, moving by drag, the feed link."""

from __future__ import annotations

import datetime
import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from guanxi.activities import calendar_grid as grid
from guanxi.activities import calendar_queries, calendar_services, ics, queries
from guanxi.activities.choices import ActivityKind
from guanxi.activities.models import Activity, CalendarFeed
from guanxi.core.choices import Action
from guanxi.core.permissions import OutOfScope, require
from guanxi.core.services import StaleRecord

KIND_COLORS = {
    "call": "blue",
    "meeting": "purple",
    "visit": "orange",
    "email": "cyan",
    "sms": "teal",
    "note": "secondary",
    "task": "green",
}
# How far back and ahead the feed reaches.
FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 366
FEED_LIMIT = 5000


def _state(request) -> dict:
    view = request.GET.get("view", "month")
    if view not in grid.VIEWS:
        view = "month"
    kind = request.GET.get("kind", "")
    return {
        "view": view,
        "day": grid.parse_day(request.GET.get("date")),
        "whose": calendar_queries.Whose.parse(request.GET.get("whose")),
        "kind": kind if kind in ActivityKind.values else "",
    }


def _link(state: dict, **changes) -> str:
    values = {**state, **changes}
    query = {"view": values["view"], "date": values["day"].isoformat()}
    if values["whose"].kind != "mine":
        query["whose"] = values["whose"].value
    if values["kind"]:
        query["kind"] = values["kind"]
    return f"{reverse('web:calendar')}?{urlencode(query)}"


def _title(view: str, day: datetime.date, days: list[datetime.date]) -> str:
    if view == "month":
        return date_format(day, "YEAR_MONTH_FORMAT")
    if view == "week":
        first, last = date_format(days[0], "MONTH_DAY_FORMAT"), date_format(days[-1], "DATE_FORMAT")
        return f"{first} – {last}"
    return date_format(day, "DATE_FORMAT")


@login_required
@require_GET
def calendar_page(request):
    """Show a month, week or day of the user's (or a colleague's, team's) activities."""
    require(request.user, "activity", Action.VIEW)
    state = _state(request)
    view, day = state["view"], state["day"]
    first = grid.first_weekday()
    days = grid.days_of(view, day, first)
    start, end = grid.bounds(days)
    activities = list(
        calendar_queries.calendar_activities(
            request.user, start, end, whose=state["whose"], kind=state["kind"]
        )[: calendar_queries.RANGE_LIMIT]
    )
    placed = grid.place(activities, days, month=day.month if view == "month" else None)
    context = {
        **state,
        "days": placed,
        "weeks": [placed[index : index + 7] for index in range(0, len(placed), 7)],
        "weekday_names": [d.date for d in placed[:7]],
        "title": _title(view, day, days),
        "previous_url": _link(state, day=grid.shift(view, day, -1)),
        "next_url": _link(state, day=grid.shift(view, day, 1)),
        "today_url": _link(state, day=timezone.localdate()),
        "view_urls": [
            (name, label, _link(state, view=name))
            for name, label in (("month", _("Month")), ("week", _("Week")), ("day", _("Day")))
        ],
        "kinds": ActivityKind.choices,
        "kind_colors": KIND_COLORS,
        "whose_label": calendar_queries.whose_label(request.user, state["whose"]),
        "pickable": calendar_queries.pickable(request.user),
        "slots": [
            (minute, f"{minute // 60:02d}:{minute % 60:02d}")
            for minute in range(0, 24 * 60, grid.SLOT_MINUTES)
        ],
        "slot_height": grid.SLOT_HEIGHT,
        "truncated": len(activities) >= calendar_queries.RANGE_LIMIT,
        "now": timezone.localtime(),
    }
    for item in context["days"]:
        item.day_url = _link(state, view="day", day=item.date)
    template = (
        "activities/calendar/partials/body.html"
        if request.htmx and request.htmx_target == "calendar"
        else "activities/calendar/page.html"
    )
    return render(request, template, context)


def _parse_moment(value: str) -> datetime.datetime | None:
    moment = parse_datetime(value or "")
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@login_required
@require_POST
def calendar_move(request, pk: int):
    """Move an activity dropped on another day or slot; answer JSON for the page script."""
    activity = get_object_or_404(Activity.objects.visible_to(request.user, Action.VIEW), pk=pk)
    if not Activity.objects.visible_to(request.user, Action.EDIT).filter(pk=pk).exists():
        return JsonResponse({"detail": _("You may not change this activity.")}, status=403)
    new_start = _parse_moment(request.POST.get("starts_at", ""))
    if new_start is None:
        return JsonResponse({"detail": _("Give the new start time.")}, status=400)
    version = request.POST.get("version", "")
    try:
        activity = calendar_services.activity_reschedule(
            actor=request.user,
            activity=activity,
            starts_at=new_start,
            expected_version=int(version) if version.isdigit() else None,
        )
    except StaleRecord:
        return JsonResponse({"detail": str(StaleRecord.message)}, status=409)
    except calendar_services.CannotReschedule as error:
        return JsonResponse({"detail": error.message}, status=400)
    except OutOfScope:
        return JsonResponse({"detail": _("You may not change this activity.")}, status=403)
    moment = timezone.localtime(activity.starts_at or activity.due_at)
    return JsonResponse(
        {
            "id": activity.pk,
            "version": activity.version,
            "detail": _("“%(subject)s” moved to %(moment)s.")
            % {"subject": activity.subject, "moment": moment.strftime("%Y-%m-%d %H:%M")},
        }
    )


def feed_url(request, feed: CalendarFeed) -> str:
    return request.build_absolute_uri(reverse("web:calendar_feed", args=[feed.token]))


@login_required
def calendar_subscribe(request):
    """Show the user's private feed link (created on first view); POST resets it."""
    require(request.user, "activity", Action.VIEW)
    reset = False
    if request.method == "POST":
        feed = calendar_services.feed_reset(actor=request.user)
        reset = True
    else:
        feed = calendar_services.feed_for(request.user)
    return render(
        request,
        "activities/calendar/partials/subscribe.html",
        {"feed": feed, "feed_url": feed_url(request, feed), "reset": reset},
    )


def feed_activities(user) -> list[Activity]:
    """Return the user's own and participating activities the feed carries, in one query."""
    now = timezone.now()
    return list(
        Activity.objects.visible_to(user, Action.VIEW)
        .filter(
            queries.mine(user),
            starts_at__isnull=False,
            occurs_at__gte=now - datetime.timedelta(days=FEED_PAST_DAYS),
            occurs_at__lt=now + datetime.timedelta(days=FEED_FUTURE_DAYS),
        )
        .order_by("occurs_at", "id")[:FEED_LIMIT]
    )


@require_safe
def calendar_feed(request, token: str):
    """Serve a user's calendar as iCalendar to programs that subscribe; no login needed.

    The secret key in the URL is the credential; an unknown or reset key, or a
    deactivated user's, answers 404 like a missing page.
    """
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    user = feed.user
    zone = user.time_zone or settings.TIME_ZONE
    try:
        timezone.activate(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()
    with translation.override(user.language or translation.get_language()):
        name = _("Guanxi: %(user)s") % {"user": user}
    body = ics.calendar(feed_activities(user), name=name)
    calendar_services.feed_fetched(feed)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Content-Disposition"] = 'inline; filename="guanxi.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response
