"""The daily digest email (PLT-11): overdue work, today's activities and unread notifications.

Users who turned the digest on choose the hour it comes at, in their own time zone. Every
hour the worker finds the users whose hour it is, claims each one's day with a conditional
UPDATE of `digest_last_sent_on` (so a second worker, or a second run, sends nothing twice),
and sends the digest in the user's language, as text and simple HTML. A user with nothing
overdue, nothing today and no unread notification gets no email.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.activities.choices import OPEN_STATUSES
from guanxi.activities.models import Activity
from guanxi.activities.queries import day_bounds, mine, visible_activities
from guanxi.core.models import Notification, NotificationPreference, User
from guanxi.core.notifications import absolute_url, user_language, user_zone, zone_named

logger = logging.getLogger(__name__)

DIGEST_ITEMS = 20  # at most this many lines per section; the rest is counted


@dataclass
class Digest:
    user: User
    day: datetime.date
    overdue: list[Activity] = field(default_factory=list)
    overdue_count: int = 0
    today: list[Activity] = field(default_factory=list)
    today_count: int = 0
    notifications: list[Notification] = field(default_factory=list)
    unread_count: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.overdue_count or self.today_count or self.unread_count)


@dataclass
class DigestRun:
    due: int = 0  # users whose digest hour it was and whose day was not yet claimed
    sent: int = 0
    empty: int = 0  # users with nothing to say: no email
    failed: int = 0


def digest_for(user: User, *, now: datetime.datetime | None = None) -> Digest:
    """Return what a user's digest says today, their day taken in their time zone."""
    now = now or timezone.now()
    with timezone.override(user_zone(user)):
        day = timezone.localtime(now).date()
        start, end = day_bounds(day)
    open_ = (
        visible_activities(user)
        .filter(mine(user), status__in=OPEN_STATUSES)
        .exclude(due_at__isnull=True, starts_at__isnull=True)
        .select_related("account")
        .order_by("occurs_at", "id")
    )
    overdue = list(open_.filter(occurs_at__lt=start)[: DIGEST_ITEMS + 1])
    today = list(open_.filter(occurs_at__gte=start, occurs_at__lt=end)[: DIGEST_ITEMS + 1])
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    notifications = list(unread.order_by("-created_at", "-id")[: DIGEST_ITEMS + 1])
    return Digest(
        user=user,
        day=day,
        overdue=overdue[:DIGEST_ITEMS],
        overdue_count=len(overdue)
        if len(overdue) <= DIGEST_ITEMS
        else open_.filter(occurs_at__lt=start).count(),
        today=today[:DIGEST_ITEMS],
        today_count=len(today)
        if len(today) <= DIGEST_ITEMS
        else open_.filter(occurs_at__gte=start, occurs_at__lt=end).count(),
        notifications=notifications[:DIGEST_ITEMS],
        unread_count=len(notifications) if len(notifications) <= DIGEST_ITEMS else unread.count(),
    )


def digest_send(user: User, *, now: datetime.datetime | None = None) -> bool:
    """Email the user their digest; return False (and send nothing) when it would be empty."""
    if not user.email or not user.is_active:
        return False
    digest = digest_for(user, now=now)
    if digest.is_empty:
        return False
    with override(user_language(user)), timezone.override(user_zone(user)):
        context = {
            "digest": digest,
            "day": formats.date_format(digest.day, "DATE_FORMAT"),
            "overdue": [_line(activity) for activity in digest.overdue],
            "today": [_line(activity) for activity in digest.today],
            "notifications": [
                {"title": item.title, "url": absolute_url(item.url) if item.url else ""}
                for item in digest.notifications
            ],
            "my_day_url": absolute_url(reverse("web:my_day")),
            "notifications_url": absolute_url(reverse("web:notification_list")),
            "preferences_url": absolute_url(reverse("web:notification_preferences")),
        }
        subject = _("Your day in Guanxi: %(date)s") % {"date": context["day"]}
        text = render_to_string("activities/email/digest.txt", context)
        html = render_to_string("activities/email/digest.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def _line(activity: Activity) -> dict:
    local = timezone.localtime(activity.occurs_at)
    when = formats.date_format(local, "SHORT_DATE_FORMAT")
    if not activity.all_day:
        when += " " + formats.time_format(local, "H:i")
    return {
        "when": when,
        "kind": activity.get_kind_display(),
        "subject": activity.subject,
        "account": str(activity.account) if activity.account else "",
        "url": absolute_url(reverse("web:activity_detail", args=[activity.pk])),
    }


def digests_due(now: datetime.datetime) -> list[tuple[int, datetime.date]]:
    """Claim today's digest of every user whose digest hour it is; return (user id, day).

    Users are grouped by time zone: one query finds the zones in use, one per zone the
    users whose hour it now is there. Each user's day is claimed by a conditional UPDATE,
    so only one run ever sends it.
    """
    wanting = User.objects.filter(
        is_active=True, notification_preference__digest_enabled=True
    ).exclude(email="")
    claimed = []
    for zone_name in wanting.values_list("time_zone", flat=True).distinct().order_by():
        local = timezone.localtime(now, zone_named(zone_name))
        candidates = NotificationPreference.objects.filter(
            digest_enabled=True,
            digest_hour=local.hour,
            user__in=wanting.filter(time_zone=zone_name),
        ).exclude(digest_last_sent_on=local.date())
        for user_id in candidates.values_list("user_id", flat=True):
            won = (
                NotificationPreference.objects.filter(user_id=user_id)
                .exclude(digest_last_sent_on=local.date())
                .update(digest_last_sent_on=local.date())
            )
            if won:
                claimed.append((user_id, local.date()))
    return claimed


def digests_send_due(*, now: datetime.datetime | None = None, queue: bool = True) -> DigestRun:
    """Send the digests due this hour: on the task queue, or here and now (`queue=False`)."""
    from guanxi.activities.tasks import send_digest_email

    now = now or timezone.now()
    run = DigestRun()
    for user_id, _day in digests_due(now):
        run.due += 1
        if queue:
            send_digest_email(user_id, now)
            continue
        try:
            sent = digest_send(User.objects.get(pk=user_id), now=now)
        except Exception:
            logger.exception("The digest of user %s could not be sent", user_id)
            run.failed += 1
            continue
        run.sent += int(sent)
        run.empty += int(not sent)
    return run
