"""Reactions of the customers app to domain events."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from guanxi.core import events
from guanxi.customers.choices import OwnershipEnd, OwnershipStart
from guanxi.customers.models import Account, OwnershipPeriod
from guanxi.customers.services import account_follow_up_record


def follow_up_recorded(event: events.Event) -> None:
    """Restart a customer's follow-up clock when an activity with it is recorded."""
    account_id = event.payload.get("account_id")
    if not account_id:
        return
    at = event.payload.get("occurred_at")
    if isinstance(at, str):
        at = parse_datetime(at)
    account_follow_up_record(
        account_id=account_id, at=at if isinstance(at, datetime.datetime) else None
    )


def owner_edited(event: events.Event) -> None:
    """Keep the ownership history when a form, an import or a bulk edit sets the owner."""
    change = (event.payload.get("changes") or {}).get("owner")
    if not change:
        return
    after = change[1] or {}
    now = timezone.now()
    account_id = event.payload["id"]
    actor_id = event.payload.get("actor_id")
    OwnershipPeriod.objects.filter(account_id=account_id, ended_at__isnull=True).update(
        ended_at=now, end=OwnershipEnd.TRANSFERRED, ended_by_id=actor_id
    )
    if not after.get("id"):
        return
    created = event.name == "account.created"
    OwnershipPeriod.objects.create(
        account_id=account_id,
        owner_id=after["id"],
        started_at=now,
        start=OwnershipStart.CREATED if created else OwnershipStart.ASSIGNED,
        started_by_id=actor_id,
    )
    Account.objects.filter(pk=account_id).update(owned_at=now, pool_warned_at=None)


events.subscribe("activity.created", follow_up_recorded)
events.subscribe("account.created", owner_edited)
events.subscribe("account.updated", owner_edited)
