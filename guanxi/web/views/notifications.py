"""The notification centre: the bell's badge and menu, the list, the preferences screen."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from guanxi.core import notifications
from guanxi.core.choices import NotificationCategory
from guanxi.core.models import Notification

MENU_ITEMS = 8
PAGE_SIZE = 50
CHANGED = "notifications-changed"  # the htmx event after which the badge asks again


@login_required
@require_GET
def notification_badge(request):
    """Return the bell's badge alone: the unread count, polled by every open page."""
    html = render_to_string(
        "web/partials/notification_badge.html",
        {
            "unread_notifications": notifications.unread_count(request.user),
            "notification_poll_seconds": settings.GUANXI_NOTIFICATION_POLL_SECONDS,
        },
    )
    return HttpResponse(html)


def _menu(request, status: int = 200):
    items = notifications.notifications_of(request.user)[:MENU_ITEMS]
    return render(request, "web/partials/notification_menu.html", {"items": items}, status=status)


@login_required
def notification_menu(request):
    """Return the bell's dropdown: the newest notifications, read or not."""
    return _menu(request)


def _list_filters(request) -> tuple[str, str]:
    category = request.GET.get("category", "")
    if category not in NotificationCategory.values:
        category = ""
    state = request.GET.get("state", "")
    if state not in ("unread", "read"):
        state = ""
    return category, state


@login_required
def notification_list(request):
    """List the user's notifications, by category and read state, a page at a time."""
    category, state = _list_filters(request)
    try:
        offset = max(int(request.GET.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    unread = {"unread": True, "read": False}.get(state)
    queryset = notifications.notifications_of(request.user, unread=unread, category=category)
    items = list(queryset[offset : offset + PAGE_SIZE + 1])
    filters = {key: value for key, value in (("category", category), ("state", state)) if value}

    def page_url(at: int) -> str:
        return "?" + urlencode({**filters, **({"offset": at} if at else {})})

    return render(
        request,
        "web/notifications.html",
        {
            "items": items[:PAGE_SIZE],
            "categories": NotificationCategory.choices,
            "category": category,
            "state": state,
            "states": [("", _("All")), ("unread", _("Unread")), ("read", _("Read"))],
            "next_url": page_url(offset + PAGE_SIZE) if len(items) > PAGE_SIZE else "",
            "previous_url": page_url(max(offset - PAGE_SIZE, 0)) if offset else "",
            "first": offset + 1,
            "filters_query": urlencode(filters),
        },
    )


def _back_to_list(request):
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return redirect(next_url)
    return redirect("web:notification_list")


def _changed(response):
    response["HX-Trigger"] = CHANGED
    return response


@login_required
@require_POST
def notification_read(request, pk: int | None = None):
    """Mark one notification (and follow its link), or all of them, as read.

    From the bell's menu (htmx) the answer is the refreshed menu, and the badge updates.
    """
    if pk is None:
        notifications.notifications_mark_all_read(actor=request.user)
        return _changed(_menu(request)) if request.htmx else _back_to_list(request)
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.notification_mark_read(actor=request.user, notification=notification)
    if request.htmx:
        return _changed(_menu(request))
    if request.POST.get("stay"):
        return _back_to_list(request)
    if notification.url and url_has_allowed_host_and_scheme(notification.url, None):
        return redirect(notification.url)
    return _back_to_list(request)


@login_required
@require_POST
def notification_delete(request, pk: int):
    """Delete one of the user's notifications."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.notification_delete(actor=request.user, notification=notification)
    return _back_to_list(request)


@login_required
@require_POST
def notification_delete_read(request):
    """Delete every notification the user has read."""
    count = notifications.notifications_delete_read(actor=request.user)
    messages.success(request, _("%(count)s read notifications deleted.") % {"count": count})
    return _back_to_list(request)


class PreferencesForm(forms.Form):
    """Per category in the app and by email, plus the daily digest and its hour."""

    digest_enabled = forms.BooleanField(label=gettext_lazy("Daily digest email"), required=False)
    digest_hour = forms.TypedChoiceField(
        label=gettext_lazy("Send it at"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, preference, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for value, label in NotificationCategory.choices:
            current = preference.channel(value)
            for channel in notifications.CHANNELS:
                name = f"{value}__{channel}"
                self.fields[name] = forms.BooleanField(
                    label=label, required=False, initial=current[channel]
                )
            row = {channel: self[f"{value}__{channel}"] for channel in notifications.CHANNELS}
            self.rows.append({"label": label, **row})
        self.fields["digest_enabled"].initial = preference.digest_enabled
        self.fields["digest_hour"].initial = preference.digest_hour

    def change(self) -> notifications.PreferencesChange:
        data = self.cleaned_data
        return notifications.PreferencesChange(
            channels={
                value: {channel: data[f"{value}__{channel}"] for channel in notifications.CHANNELS}
                for value in NotificationCategory.values
            },
            digest_enabled=data["digest_enabled"],
            digest_hour=data["digest_hour"],
        )


@login_required
def notification_preferences(request):
    """Let users choose how they are told about each kind of thing, and the daily digest."""
    preference = notifications.preferences_of(request.user)
    form = PreferencesForm(request.POST or None, preference=preference)
    if request.method == "POST" and form.is_valid():
        notifications.preferences_update(actor=request.user, change=form.change())
        messages.success(request, _("Your notification preferences were saved."))
        return redirect(reverse("web:notification_preferences"))
    return render(
        request,
        "web/notification_preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
        status=400 if form.errors else 200,
    )
