"""Reminders before an activity's time (PLT-11), delivered by the task worker.

An activity with `remind_before` has a `remind_at`; every minute the worker takes the open
activities whose `remind_at` has come and whose `reminded_at` is still empty, claims them
in batches, and tells their owner and the colleagues taking part, each in their own
language and time zone, in the bell and by email as their preferences say.

Two workers may run at once: on PostgreSQL a batch is locked with `SKIP LOCKED`, so each
worker takes different rows; elsewhere each row is claimed by a conditional UPDATE that
only one worker can win. A claimed activity is never reminded again.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.activities.choices import OPEN_STATUSES
from guanxi.activities.models import Activity
from guanxi.core.choices import NotificationCategory
from guanxi.core.models import User
from guanxi.core.notifications import notify, user_language, user_zone

BATCH_SIZE = 100
# A reminder found more than this long after the activity's time (the worker was down, or
# the activity was entered afterwards) is marked without being sent: it would only be noise.
STALE_AFTER = datetime.timedelta(hours=12)


@dataclass
class ReminderRun:
    reminded: int = 0  # activities whose reminder went out
    skipped: int = 0  # activities claimed but too late to remind
    notified: int = 0  # people told


def due_reminders(now: datetime.datetime) -> QuerySet:
    """Return the activities whose reminder is due and not yet sent (the remind index)."""
    return Activity.objects.filter(
        status__in=OPEN_STATUSES, remind_at__lte=now, reminded_at__isnull=True
    )


def reminders_send_due(
    *, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE
) -> ReminderRun:
    """Send every due reminder, one batch per transaction, and return what was done."""
    now = now or timezone.now()
    run = ReminderRun()
    while True:
        seen = _send_batch(now, batch_size, run)
        if seen < batch_size:
            return run


@transaction.atomic
def _send_batch(now: datetime.datetime, batch_size: int, run: ReminderRun) -> int:
    """Claim and send one batch; return how many due activities the batch looked at."""
    due = due_reminders(now).order_by("remind_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        locked = due.select_for_update(skip_locked=True)
        ids = list(locked.values_list("pk", flat=True)[:batch_size])
        claimed = ids
        Activity.objects.filter(pk__in=ids).update(reminded_at=now)
    else:
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        claimed = [pk for pk in ids if due_reminders(now).filter(pk=pk).update(reminded_at=now)]
    if not claimed:
        return len(ids)
    people = User.objects.filter(is_active=True).select_related("notification_preference")
    activities = (
        Activity.objects.filter(pk__in=claimed)
        .select_related("owner__notification_preference", "account")
        .prefetch_related(Prefetch("participant_users", queryset=people))
        .order_by("remind_at", "id")
    )
    for activity in activities:
        moment = activity.starts_at or activity.due_at
        if moment is None or moment < now - STALE_AFTER:
            run.skipped += 1
            continue
        run.reminded += 1
        run.notified += _remind(activity, moment, now)
    return len(ids)


def reminder_recipients(activity: Activity) -> list[User]:
    """Return the owner and the colleagues taking part, each once, active ones only."""
    people: dict[int, User] = {}
    if activity.owner is not None and activity.owner.is_active:
        people[activity.owner.pk] = activity.owner
    for user in activity.participant_users.all():
        people.setdefault(user.pk, user)
    return list(people.values())


def _remind(activity: Activity, moment: datetime.datetime, now: datetime.datetime) -> int:
    recipients = reminder_recipients(activity)
    url = reverse("web:activity_detail", args=[activity.pk])
    for user in recipients:
        with override(user_language(user)), timezone.override(user_zone(user)):
            notify(
                recipient=user,
                title=reminder_title(activity, moment, now),
                body=reminder_body(activity, moment),
                url=url,
                category=NotificationCategory.REMINDER,
            )
    return len(recipients)


def _when(activity: Activity, moment: datetime.datetime, now: datetime.datetime) -> str:
    """Return when, in the current zone: "at 14:30" today, "tomorrow at 9:00", else dated."""
    local = timezone.localtime(moment)
    today = timezone.localtime(now).date()
    date = formats.date_format(local, "SHORT_DATE_FORMAT")
    if activity.all_day:
        return _("today") if local.date() == today else _("on %(date)s") % {"date": date}
    time = formats.time_format(local, "H:i")
    if local.date() == today:
        return _("at %(time)s") % {"time": time}
    if local.date() == today + datetime.timedelta(days=1):
        return _("tomorrow at %(time)s") % {"time": time}
    return _("on %(date)s at %(time)s") % {"date": date, "time": time}


def reminder_title(activity: Activity, moment: datetime.datetime, now: datetime.datetime) -> str:
    """Return "Reminder: Call 张伟 at 14:30" in the active language and time zone."""
    values = {"subject": activity.subject, "when": _when(activity, moment, now)}
    if activity.starts_at is None:
        return _("Reminder: %(subject)s is due %(when)s") % values
    return _("Reminder: %(subject)s %(when)s") % values


def reminder_body(activity: Activity, moment: datetime.datetime) -> str:
    """Return the details under the title: kind, full time, place and customer."""
    local = timezone.localtime(moment)
    parts = [
        str(activity.get_kind_display()),
        formats.date_format(local, "SHORT_DATE_FORMAT")
        + ("" if activity.all_day else " " + formats.time_format(local, "H:i")),
    ]
    if activity.location:
        parts.append(activity.location)
    if activity.account is not None:
        parts.append(str(activity.account))
    return " · ".join(parts)
