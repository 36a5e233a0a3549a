"""Writes of the calendar: moving an activity to another time, and the feed's secret link."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.activities.calendar_grid import moved
from guanxi.activities.models import Activity, CalendarFeed
from guanxi.activities.models.calendar import new_feed_token
from guanxi.core import audit, registry
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import ensure_in_scope, require
from guanxi.core.services import StaleRecord, record_written


class CannotReschedule(ValueError):
    """Raised when an activity cannot be moved to the times asked; the message says why."""

    def __init__(self, message: str, field: str = "starts_at"):
        super().__init__(message)
        self.message = message
        self.field = field


def _new_times(
    current: Activity,
    starts_at: datetime.datetime | None,
    ends_at: datetime.datetime | None,
    due_at: datetime.datetime | None,
) -> tuple[datetime.datetime | None, datetime.datetime | None, datetime.datetime | None]:
    if current.starts_at is None and current.due_at is None:
        raise CannotReschedule(_("This activity has no date to move."))
    if current.starts_at is None:
        # A task without a start moves by its due time; a dropped slot gives it as a start.
        new_due = due_at or starts_at
        if new_due is None:
            raise CannotReschedule(_("Give the new due time."), "due_at")
        return None, None, new_due
    if starts_at is None:
        raise CannotReschedule(_("Give the new start time."))
    new_start, new_end, new_due = moved(
        starts_at=current.starts_at,
        ends_at=current.ends_at,
        due_at=current.due_at,
        new_start=starts_at,
    )
    if ends_at is not None:
        if ends_at < starts_at:
            raise CannotReschedule(_("The end must be after the start."), "ends_at")
        new_end = ends_at
    if due_at is not None:
        new_due = due_at
    return new_start, new_end, new_due


@transaction.atomic
def activity_reschedule(
    *,
    actor: User,
    activity: Activity,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    due_at: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> Activity:
    """Move an activity to a new start (or a task to a new due time), keeping its length.

    Without an explicit end the end moves with the start; a due time moves with them
    too. Only this activity moves, also when it is the first of a repeating series. The
    reminder follows the new time. Raises StaleRecord when the activity changed since
    `expected_version`, CannotReschedule for times that do not fit.
    """
    entity = registry.get("activity")
    require(actor, entity.name, Action.EDIT)
    current = Activity.objects.select_for_update().get(pk=activity.pk)
    ensure_in_scope(actor, current, Action.EDIT)
    if expected_version is not None and current.version != expected_version:
        raise StaleRecord
    new_start, new_end, new_due = _new_times(current, starts_at, ends_at, due_at)
    before = audit.snapshot(current)
    current.starts_at, current.ends_at, current.due_at = new_start, new_end, new_due
    current.occurs_at = new_start or new_due
    current.updated_by = actor
    current.version += 1
    current.save()
    record_written(
        actor=actor,
        entity=entity,
        instance=current,
        action=AuditAction.UPDATE,
        changes=audit.diff(before, audit.snapshot(current)),
    )
    return current


def feed_for(user: User) -> CalendarFeed:
    """Return the user's calendar feed, created with a fresh secret key on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def feed_reset(*, actor: User) -> CalendarFeed:
    """Give the user's feed a new secret key; the old link stops working at once."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=actor)
    if not created:
        feed.token = new_feed_token()
        feed.created_at = timezone.now()
        feed.last_fetched_at = None
        feed.save(update_fields=["token", "created_at", "last_fetched_at"])
    audit.record(
        actor=actor,
        entity="user",
        instance=actor,
        action=AuditAction.UPDATE,
        changes={"calendar_feed": ["", "reset"]},
    )
    return feed


def feed_fetched(feed: CalendarFeed) -> None:
    """Note when a calendar program last read the feed (at most once a minute)."""
    now = timezone.now()
    if feed.last_fetched_at is None or now - feed.last_fetched_at > datetime.timedelta(minutes=1):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
