"""Reactions of leads to other modules' events: contact made, imports, replies received."""

from __future__ import annotations

import datetime

from django.db.models import Q

from guanxi.core import events
from guanxi.sales import lead_services
from guanxi.sales.lead_scoring import lead_rescore
from guanxi.sales.models import Lead

# Activities that mean someone reached the lead.
CONTACT_KINDS = {"call", "meeting", "visit", "email", "sms"}


def _moment(raw: str | None) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def on_activity(event: events.Event) -> None:
    """Mark a lead contacted when a call, visit or email with it is logged; rescore it."""
    payload = event.payload
    if payload.get("link_entity") != "lead" or not payload.get("link_id"):
        return
    occurred = _moment(payload.get("occurred_at"))
    if payload.get("kind") in CONTACT_KINDS and occurred is not None:
        lead_services.lead_mark_contacted(lead_id=payload["link_id"], at=occurred)
    lead = Lead.objects.filter(pk=payload["link_id"]).first()
    if lead is not None:
        lead_rescore(lead)


def on_import(event: events.Event) -> None:
    """Assign an import's new leads by the rules when the file had no owner column."""
    from guanxi.dataio.models import ImportRun

    run = ImportRun.objects.filter(pk=event.payload.get("import_id")).first()
    if run is None:
        return
    ids = run.rows.filter(action="created").values("object_id")
    owner_mapped = "owner" in (run.mapping or [])
    rules = lead_services.active_rules()
    for lead in Lead.objects.filter(pk__in=ids, assigned_at__isnull=True).select_related("owner"):
        if not owner_mapped and rules:
            lead_services.lead_apply_rules(lead=lead, actor=run.user, rules=rules)
        if lead.assigned_at is None and lead.owner_id:
            Lead.objects.filter(pk=lead.pk).update(assigned_at=lead.created_at)
        lead_rescore(lead)


def on_message(event: events.Event) -> None:
    """Rescore the leads an incoming email or SMS came from."""
    from guanxi.activities.choices import MessageDirection
    from guanxi.activities.models import Message

    message = Message.objects.filter(pk=event.payload.get("id")).first()
    if message is None or message.direction != MessageDirection.INBOUND:
        return
    condition = Q(pk=message.link_id) if message.link_entity == "lead" else Q(pk__in=[])
    if message.from_address:
        condition |= Q(email__iexact=message.from_address)
        condition |= Q(mobile=message.from_address) | Q(mobile_e164=message.from_address)
    for lead in Lead.objects.filter(condition).exclude(status="converted")[:20]:
        lead_rescore(lead)


events.subscribe("activity.created", on_activity)
events.subscribe("activity.updated", on_activity)
events.subscribe("lead.imported", on_import)
events.subscribe("message.received", on_message)
events.subscribe("message.linked", on_message)
