"""Reads of the SMS settings screen and API: the backend, webhook URLs, recent statistics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from guanxi.activities.choices import Channel, MessageDirection, MessageStatus
from guanxi.activities.models import Message
from guanxi.activities.sms.backends import mask_url
from guanxi.activities.sms.sender import configured_backend

STATS_DAYS = 7


@dataclass(frozen=True)
class SmsStats:
    """Outbound SMS of the last days by where they stand, and replies received."""

    days: int
    queued: int
    sent: int  # handed to the provider, no delivery report yet
    delivered: int
    failed: int
    skipped: int
    received: int

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.delivered + self.failed + self.skipped


def sms_stats(now: datetime.datetime | None = None, days: int = STATS_DAYS) -> SmsStats:
    """Return the SMS sent and received in the last `days` days, counted by status."""
    since = (now or timezone.now()) - datetime.timedelta(days=days)
    rows = (
        Message.objects.filter(channel=Channel.SMS, created_at__gte=since)
        .values_list("direction", "status")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts: dict[str, int] = {}
    received = 0
    for direction, status, count in rows:
        if direction == MessageDirection.INBOUND:
            received += count
            continue
        if status == MessageStatus.SENDING:
            status = MessageStatus.QUEUED
        counts[status] = counts.get(status, 0) + count
    return SmsStats(
        days=days,
        queued=counts.get(MessageStatus.QUEUED, 0),
        sent=counts.get(MessageStatus.SENT, 0),
        delivered=counts.get(MessageStatus.DELIVERED, 0),
        failed=counts.get(MessageStatus.FAILED, 0),
        skipped=counts.get(MessageStatus.SKIPPED, 0),
        received=received,
    )


def webhook_urls(request, provider: str) -> dict[str, str]:
    """Return the absolute URLs to paste into the provider's console."""
    token = settings.SMS_WEBHOOK_TOKEN
    return {
        kind: request.build_absolute_uri(reverse(f"sms:{kind}", args=[provider, token]))
        for kind in ("report", "inbound")
    }


def sms_configuration(request) -> dict:
    """Return what administrators see of the SMS setup (the secret masked)."""
    from guanxi.activities.sms.webhooks import PROVIDERS

    try:
        backend = configured_backend()
    except ImproperlyConfigured as error:
        return {
            "backend": "",
            "label": "",
            "url": mask_url(settings.SMS_URL),
            "sign_name": "",
            "needs_template": False,
            "details": {},
            "webhooks": {},
            "error": str(error),
        }
    return {
        "error": "",
        "backend": backend.name,
        "label": str(backend.label),
        "url": mask_url(settings.SMS_URL),
        "sign_name": backend.sign_name,
        "needs_template": backend.needs_template,
        "details": backend.describe(),
        "webhooks": webhook_urls(request, backend.name) if backend.name in PROVIDERS else {},
    }


def recent_sms(limit: int = 10) -> list[Message]:
    """Return the latest SMS sent or received, newest first."""
    return list(
        Message.objects.filter(channel=Channel.SMS)
        .select_related("contact")
        .order_by("-created_at", "-id")[:limit]
    )
