"""Notifications (PLT-11): tell a user in the bell and by email, as their preferences say.

`notify()` is the one way to tell a user something. It reads the recipient's preferences
for the notification's category: in the app on → a row in the bell; by email on → an email
queued on the task worker once the current transaction commits, in the recipient's language,
with the link made absolute from `GUANXI_BASE_URL`.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.core.choices import NotificationCategory
from guanxi.core.models import Notification, NotificationPreference, User

CHANNELS = ("in_app", "email")
LIST_LIMIT_MAX = 200


def absolute_url(path: str) -> str:
    """Return a link usable outside the app (in an email): the base URL joined to a path."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.GUANXI_BASE_URL.rstrip("/") + "/" + path.lstrip("/")


def user_language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """Return the time zone of that name, the site's when the name is empty or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    """Return the user's time zone, the site's when unset or unknown."""
    return zone_named(user.time_zone)


# Preferences ---------------------------------------------------------------------------


def preferences_of(user: User) -> NotificationPreference:
    """Return the user's preferences; an unsaved row of defaults when they never chose."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


@dataclass
class PreferencesChange:
    channels: dict[str, dict[str, bool]]
    digest_enabled: bool | None = None
    digest_hour: int | None = None


def preferences_validate(data: dict[str, Any]) -> PreferencesChange:
    """Read a preferences change (`categories`, `digest_enabled`, `digest_hour`) or raise.

    `categories` is a list of `{category, in_app, email}`; categories left out keep their
    current choice. Raise ValidationError with a message per field.
    """
    errors: dict[str, list[str]] = {}
    channels: dict[str, dict[str, bool]] = {}
    for index, item in enumerate(data.get("categories") or []):
        category = item.get("category") if isinstance(item, dict) else None
        if category not in NotificationCategory.values:
            errors.setdefault(f"categories.{index}.category", []).append(
                _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(NotificationCategory.values)}
            )
            continue
        values = {}
        for channel in CHANNELS:
            value = item.get(channel)
            if value is None:
                continue
            if not isinstance(value, bool):
                errors.setdefault(f"categories.{index}.{channel}", []).append(
                    _("Enter true or false.")
                )
                continue
            values[channel] = value
        channels[category] = values
    hour = data.get("digest_hour")
    valid_hour = isinstance(hour, int) and not isinstance(hour, bool) and 0 <= hour <= 23
    if hour is not None and not valid_hour:
        errors.setdefault("digest_hour", []).append(_("Enter an hour from 0 to 23."))
    enabled = data.get("digest_enabled")
    if enabled is not None and not isinstance(enabled, bool):
        errors.setdefault("digest_enabled", []).append(_("Enter true or false."))
    if errors:
        raise ValidationError(errors)
    return PreferencesChange(channels=channels, digest_enabled=enabled, digest_hour=hour)


@transaction.atomic
def preferences_update(*, actor: User, change: PreferencesChange) -> NotificationPreference:
    """Save the actor's own notification preferences."""
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=actor
    )
    channels = dict(preference.channels or {})
    for category, values in change.channels.items():
        channels[category] = {**preference.channel(category), **values}
    preference.channels = channels
    if change.digest_enabled is not None:
        preference.digest_enabled = change.digest_enabled
    if change.digest_hour is not None:
        preference.digest_hour = change.digest_hour
    preference.save()
    actor.notification_preference = preference
    return preference


def preferences_out(preference: NotificationPreference) -> dict[str, Any]:
    """Return the preferences as the API and the screen show them, every category listed."""
    return {
        "categories": [
            {"category": value, "label": str(label), **preference.channel(value)}
            for value, label in NotificationCategory.choices
        ],
        "digest_enabled": preference.digest_enabled,
        "digest_hour": preference.digest_hour,
    }


# Sending -------------------------------------------------------------------------------


def notify(
    *,
    recipient: User,
    title: str,
    body: str = "",
    url: str = "",
    category: str = NotificationCategory.SYSTEM,
) -> Notification | None:
    """Tell a user something, in the bell and/or by email as their preferences say.

    The title and body are already in the recipient's language (callers translate under
    `override(recipient.language)`). Return the bell's row, or None when the recipient
    turned this category off in the app.
    """
    channels = preferences_of(recipient).channel(category)
    notification = None
    if channels["in_app"]:
        notification = Notification.objects.create(
            recipient=recipient, title=title[:200], body=body, url=url, category=category
        )
    if channels["email"] and recipient.email and recipient.is_active:
        from guanxi.core.tasks import send_notification_email

        payload = {"title": title[:200], "body": body, "url": url, "category": category}
        transaction.on_commit(lambda: send_notification_email(recipient.pk, payload))
    return notification


def notification_email_send(recipient: User, payload: dict[str, str]) -> bool:
    """Email one notification to its recipient, in their language; return whether sent."""
    if not recipient.email or not recipient.is_active:
        return False
    with override(user_language(recipient)):
        lines = [payload["title"]]
        if payload.get("body"):
            lines += ["", payload["body"]]
        if payload.get("url"):
            lines += ["", _("Open it in Guanxi: %(url)s") % {"url": absolute_url(payload["url"])}]
        lines += [
            "",
            "-- ",
            _("You receive this email because of your notification preferences: %(url)s")
            % {"url": absolute_url(reverse("web:notification_preferences"))},
        ]
        message = EmailMultiAlternatives(
            subject=payload["title"].replace("\n", " "),
            body="\n".join(lines) + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
        )
    message.send()
    return True


# Reading and tidying the bell ----------------------------------------------------------


def notifications_of(user: User, *, unread: bool | None = None, category: str = "") -> QuerySet:
    """Return a user's notifications, newest first, optionally unread/read and by category."""
    queryset = Notification.objects.filter(recipient=user)
    if unread is True:
        queryset = queryset.filter(read_at__isnull=True)
    elif unread is False:
        queryset = queryset.filter(read_at__isnull=False)
    if category:
        queryset = queryset.filter(category=category)
    return queryset.order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """Return how many unread notifications a user has (one query on the bell's index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's notifications as read (already read ones keep their time)."""
    if notification.recipient_id != actor.pk:
        raise Notification.DoesNotExist
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, actor: User, category: str = "") -> int:
    """Mark all the actor's unread notifications (of one category) as read; return how many."""
    return notifications_of(actor, unread=True, category=category).update(read_at=timezone.now())


def notification_delete(*, actor: User, notification: Notification) -> None:
    """Delete one of the actor's notifications."""
    if notification.recipient_id != actor.pk:
        raise Notification.DoesNotExist
    notification.delete()


def notifications_delete_read(*, actor: User) -> int:
    """Delete all the notifications the actor has read; return how many."""
    count, _by_model = notifications_of(actor, unread=False).delete()
    return count
