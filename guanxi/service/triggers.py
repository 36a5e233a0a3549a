"""Events a care plan can follow up ("N days after …"): a registry apps add to.

A trigger names a kind of business event, the domain events (`<entity>.<past tense>`)
that signal it, and how to read from one of them which customer (and contact) it concerns
and when it happened. Customers and activities register theirs here; commerce registers
`order.paid` ("first purchase") and service `ticket.closed` the same way:

    register_trigger(Trigger("order.paid", _("An order was paid"), ("order.paid",), read))

`earlier_exists` tells whether the customer had such an event before this one, for plans
that follow up the first time only; without it, a plan's own earlier tasks for the
customer say so.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from guanxi.core import events


@dataclass(frozen=True)
class Hit:
    """What one event says to care: the customer, the contact and the moment."""

    account_id: int
    contact_id: int | None
    occurred_at: datetime.datetime
    source_id: int | None = None


@dataclass(frozen=True)
class Trigger:
    key: str
    label: Any
    patterns: tuple[str, ...]
    read: Callable[[events.Event], Hit | None]
    earlier_exists: Callable[[Hit], bool] | None = None


_triggers: dict[str, Trigger] = {}


def register_trigger(trigger: Trigger) -> Trigger:
    """Offer a trigger to care plans and follow its events (a later call replaces it)."""
    from guanxi.service.services import care_on_event

    _triggers[trigger.key] = trigger
    for pattern in trigger.patterns:
        events.subscribe(pattern, care_on_event)
    return trigger


def get(key: str) -> Trigger | None:
    return _triggers.get(key)


def all_triggers() -> list[Trigger]:
    return list(_triggers.values())


def choices() -> list[tuple[str, str]]:
    return [(trigger.key, str(trigger.label)) for trigger in _triggers.values()]


def matching(event_name: str) -> list[Trigger]:
    """Return the triggers an event signals."""
    import fnmatch

    return [
        trigger
        for trigger in _triggers.values()
        if any(fnmatch.fnmatchcase(event_name, pattern) for pattern in trigger.patterns)
    ]


# --- The triggers of customers and activities --------------------------------------------


def _account_created(event: events.Event) -> Hit | None:
    if event.payload.get("id") is None:
        return None
    return Hit(account_id=event.payload["id"], contact_id=None, occurred_at=timezone.now())


def _contact_created(event: events.Event) -> Hit | None:
    from guanxi.customers.models import Contact

    contact = Contact.objects.filter(pk=event.payload.get("id")).only("account_id").first()
    if contact is None:
        return None
    return Hit(account_id=contact.account_id, contact_id=contact.pk, occurred_at=timezone.now())


def _earlier_contact(hit: Hit) -> bool:
    from guanxi.customers.models import Contact

    return Contact.objects.filter(account_id=hit.account_id, pk__lt=hit.contact_id or 0).exists()


VISIT_KINDS = ("visit", "meeting")


def _visit_done(event: events.Event) -> Hit | None:
    """Read a visit or meeting that has just been marked done (created done, or completed)."""
    payload = event.payload
    status_change = (payload.get("changes") or {}).get("status")
    if payload.get("kind") not in VISIT_KINDS or not status_change:
        return None
    if status_change[-1] != "done" or not payload.get("account_id"):
        return None
    at = parse_datetime(payload.get("occurred_at") or "") or timezone.now()
    contact_id = payload.get("link_id") if payload.get("link_entity") == "contact" else None
    return Hit(
        account_id=payload["account_id"],
        contact_id=contact_id,
        occurred_at=at,
        source_id=payload.get("id"),
    )


def _earlier_visit(hit: Hit) -> bool:
    from guanxi.activities.models import Activity

    return (
        Activity.objects.filter(account_id=hit.account_id, kind__in=VISIT_KINDS, status="done")
        .exclude(pk=hit.source_id)
        .filter(occurs_at__lt=hit.occurred_at)
        .exists()
    )


register_trigger(
    Trigger("account.created", _("A customer was created"), ("account.created",), _account_created)
)
register_trigger(
    Trigger(
        "contact.created",
        _("A contact was created"),
        ("contact.created",),
        _contact_created,
        _earlier_contact,
    )
)
register_trigger(
    Trigger(
        "activity.visit_done",
        _("A visit or meeting took place"),
        ("activity.created", "activity.updated"),
        _visit_done,
        _earlier_visit,
    )
)
