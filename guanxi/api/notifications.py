"""Notification endpoints: the caller's own notifications, unread count, preferences."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.core import notifications
from guanxi.core.choices import NotificationCategory
from guanxi.core.models import Notification
from guanxi.core.queries import capped_count

router = Router(tags=["Notifications"])


class NotificationOut(Schema):
    id: int
    category: str
    title: str
    body: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None
    read: bool


class NotificationListOut(Schema):
    count: int
    count_capped: bool = False
    items: list[NotificationOut]


class CountOut(Schema):
    count: int


class CategoryPreference(Schema):
    category: str
    label: str
    in_app: bool
    email: bool


class CategoryPreferenceIn(Schema):
    category: str
    in_app: bool | None = None
    email: bool | None = None


class PreferencesOut(Schema):
    categories: list[CategoryPreference]
    digest_enabled: bool
    digest_hour: int


class PreferencesIn(Schema):
    categories: list[CategoryPreferenceIn] = []
    digest_enabled: bool | None = None
    digest_hour: int | None = None


def _out(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "category": notification.category,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "read": notification.read_at is not None,
    }


def _own(request, notification_id: int) -> Notification:
    """Return one of the caller's notifications; anyone else's answers 404 like a missing one."""
    notification = Notification.objects.filter(pk=notification_id, recipient=request.auth).first()
    if notification is None:
        raise Http404
    return notification


@router.get("/preferences", response=PreferencesOut, operation_id="notification_preferences")
def get_preferences(request):
    """The caller's notification preferences: per category in the app and by email; digest."""
    return notifications.preferences_out(notifications.preferences_of(request.auth))


@router.put("/preferences", response=PreferencesOut, operation_id="notification_preferences_put")
def put_preferences(request, payload: PreferencesIn):
    """Change the caller's preferences; categories left out keep their current choice."""
    try:
        change = notifications.preferences_validate(payload.dict())
    except ValidationError as error:
        raise ApiError(400, _("The data is not valid."), error.message_dict) from error
    preference = notifications.preferences_update(actor=request.auth, change=change)
    return notifications.preferences_out(preference)


@router.get("/unread-count", response=CountOut, operation_id="notification_unread_count")
def unread_count(request):
    """How many unread notifications the caller has (what the bell shows)."""
    return {"count": notifications.unread_count(request.auth)}


@router.post("/read-all", response=CountOut, operation_id="notification_read_all")
def read_all(request, category: str = ""):
    """Mark all the caller's unread notifications (of one `category`) as read."""
    _check_category(category)
    return {
        "count": notifications.notifications_mark_all_read(actor=request.auth, category=category)
    }


@router.post("/delete-read", response=CountOut, operation_id="notification_delete_read")
def delete_read(request):
    """Delete every notification the caller has read; answer how many."""
    return {"count": notifications.notifications_delete_read(actor=request.auth)}


@router.get("", response=NotificationListOut, operation_id="notification_list")
def notification_list(
    request,
    unread: bool | None = None,
    category: str = "",
    limit: int = 50,
    offset: int = 0,
):
    """The caller's notifications, newest first; `unread=true` or `false`, `category`.

    `limit` is at most 200.
    """
    _check_category(category)
    limit = max(1, min(limit, notifications.LIST_LIMIT_MAX))
    offset = max(offset, 0)
    queryset = notifications.notifications_of(request.auth, unread=unread, category=category)
    count, capped = capped_count(queryset)
    items = [_out(item) for item in queryset[offset : offset + limit]]
    return {"count": count, "count_capped": capped, "items": items}


@router.get("/{notification_id}", response=NotificationOut, operation_id="notification_get")
def notification_get(request, notification_id: int):
    """One of the caller's notifications."""
    return _out(_own(request, notification_id))


@router.post("/{notification_id}/read", response=NotificationOut, operation_id="notification_read")
def notification_read(request, notification_id: int):
    """Mark one of the caller's notifications as read."""
    notification = notifications.notification_mark_read(
        actor=request.auth, notification=_own(request, notification_id)
    )
    return _out(notification)


@router.delete("/{notification_id}", response={204: None}, operation_id="notification_delete")
def notification_delete(request, notification_id: int):
    """Delete one of the caller's notifications."""
    notifications.notification_delete(
        actor=request.auth, notification=_own(request, notification_id)
    )
    return Status(204, None)


def _check_category(category: str) -> None:
    if category and category not in NotificationCategory.values:
        raise ApiError(
            400,
            _("The data is not valid."),
            {
                "category": [
                    _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(NotificationCategory.values)}
                ]
            },
        )
