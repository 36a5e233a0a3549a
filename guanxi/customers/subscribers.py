"""Reactions of the customers app to domain events: ownership, points, re-classifying."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from guanxi.core import events
from guanxi.customers import classification, points
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
events.subscribe("activity.updated", follow_up_recorded)
events.subscribe("account.created", owner_edited)
events.subscribe("account.updated", owner_edited)


# Metrics a ledger write changes: only rules testing them need a re-run after one.
POINTS_METRICS = ("points_balance", "points_lifetime", "membership_level")


def classify_saved_account(event: events.Event) -> None:
    """Re-apply the classification rules to an account a user created or changed."""
    if event.payload.get("id"):
        classification.classify_accounts(ids=[event.payload["id"]], cached_rules=True)


def classify_after_points(event: events.Event) -> None:
    """Re-apply the rules to an account whose points changed, when a rule looks at points."""
    account_id = event.payload.get("account_id")
    if account_id and classification.rules_use(POINTS_METRICS):
        classification.classify_accounts(ids=[account_id], cached_rules=True)


events.subscribe("*", points.earn_for_event)
events.subscribe("account.created", classify_saved_account)
events.subscribe("account.updated", classify_saved_account)
events.subscribe("points.*", classify_after_points)
