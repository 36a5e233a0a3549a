"""What the SMS channel does with a provider's pushes: delivery reports and replies.

A reply is kept as an inbound message, matched to the contact whose mobile number sent
it (the one last texted from that number first), threaded to the last SMS sent to them
and logged on their timeline. A reply that is only an unsubscribe keyword (TD, 退订, N,
STOP, unsubscribe) withdraws the SMS consent of every contact and individual customer
with that number, so later sends to them are skipped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from guanxi.activities import messaging
from guanxi.activities.choices import ActivityKind, Channel, MessageDirection, MessageStatus
from guanxi.activities.models import Message
from guanxi.activities.sms.aliyun import Inbound, Report
from guanxi.core import events, registry

UNSUBSCRIBE_KEYWORDS = frozenset({"td", "退订", "n", "stop", "unsubscribe"})


def is_unsubscribe(text: str) -> bool:
    """Tell whether a reply asks to stop SMS: only a keyword, in any case or width."""
    normalized = unicodedata.normalize("NFKC", text or "").casefold()
    stripped = "".join(
        char for char in normalized if not unicodedata.category(char).startswith(("P", "Z", "C"))
    )
    return stripped in UNSUBSCRIBE_KEYWORDS


def sms_record_reports(*, provider: str, reports: Iterable[Report]) -> tuple[int, int]:
    """Apply delivery reports to the messages they concern; return (matched, unknown)."""
    matched = unknown = 0
    for report in reports:
        message = messaging.message_update_delivery(
            provider=provider,
            provider_id=report.provider_id,
            delivered=report.delivered,
            reason=report.reason,
            at=report.at,
        )
        if message is None:
            unknown += 1
        else:
            matched += 1
    return matched, unknown


def _people(phone: str):
    from guanxi.customers.choices import AccountKind
    from guanxi.customers.models import Account, Contact

    contacts = list(Contact.objects.filter(mobile_e164=phone).order_by("-updated_at", "-pk"))
    accounts = list(
        Account.objects.filter(phone_e164=phone, kind=AccountKind.INDIVIDUAL).order_by("-pk")
    )
    return contacts, accounts


def _previous(provider: str, contacts, accounts) -> Message | None:
    """Return the last SMS sent to one of these people: a reply answers it."""
    sent = Message.objects.filter(channel=Channel.SMS, direction=MessageDirection.OUTBOUND)
    if contacts:
        return sent.filter(contact__in=contacts).order_by("-created_at", "-pk").first()
    if accounts:
        return (
            sent.filter(link_entity="account", link_id__in=[account.pk for account in accounts])
            .order_by("-created_at", "-pk")
            .first()
        )
    return None


@transaction.atomic
def sms_receive(*, provider: str, inbound: Inbound) -> tuple[Message, bool]:
    """Keep a reply as an inbound message on the sender's timeline; return it and if it is new."""
    if inbound.provider_id:
        existing = Message.objects.filter(
            channel=Channel.SMS,
            direction=MessageDirection.INBOUND,
            provider=provider,
            provider_id=inbound.provider_id,
        ).first()
        if existing is not None:
            return existing, False
    contacts, accounts = _people(inbound.phone)
    previous = _previous(provider, contacts, accounts)
    contact = previous.contact if previous is not None and previous.contact else None
    contact = contact or (contacts[0] if contacts else None)
    account_id = contact.account_id if contact else (accounts[0].pk if accounts else None)
    link_entity, link_id = "", None
    if previous is not None and previous.link_entity:
        link_entity, link_id = previous.link_entity, previous.link_id
    elif contact is not None:
        link_entity, link_id = "contact", contact.pk
    elif accounts:
        link_entity, link_id = "account", accounts[0].pk
    at = inbound.at or timezone.now()
    message = Message.objects.create(
        channel=Channel.SMS,
        direction=MessageDirection.INBOUND,
        status=MessageStatus.RECEIVED,
        provider=provider,
        provider_id=inbound.provider_id[:100],
        from_address=inbound.phone,
        to_address=inbound.to or provider,
        to_name=str(contact) if contact else "",
        body=inbound.text,
        contact=contact,
        account_id=account_id,
        link_entity=link_entity,
        link_id=link_id,
        thread=previous,
        created_at=at,
        sent_at=at,
    )
    owner = previous.sender if previous is not None else None
    message.activity = _log(message, owner=owner or getattr(contact, "owner", None))
    message.save(update_fields=["activity"])
    if is_unsubscribe(inbound.text):
        _opt_out([*contacts, *accounts], reply=inbound.text)
    events.emit("message.received", id=message.pk, channel=Channel.SMS)
    return message, True


def _log(message: Message, *, owner):
    from guanxi.activities.services import activity_log

    if not (message.link_entity and message.link_id):
        return None
    entity = registry.find(message.link_entity)
    record = entity.model.objects.filter(pk=message.link_id).first() if entity else None
    if record is None:
        return None
    return activity_log(
        actor=None,
        kind=ActivityKind.SMS,
        subject=message.body[:200] or message.from_address,
        record=record,
        description=message.body,
        owner=owner,
        at=message.created_at,
        contacts=[message.contact_id] if message.contact_id else (),
    )


def _opt_out(people, *, reply: str) -> None:
    from guanxi.customers.choices import ConsentChannel, ConsentSource, ConsentStatus
    from guanxi.customers.privacy import consent_record, consent_status

    for person in people:
        if consent_status(person, ConsentChannel.SMS) == ConsentStatus.WITHDRAWN:
            continue
        consent_record(
            actor=None,
            person=person,
            channel=ConsentChannel.SMS,
            status=ConsentStatus.WITHDRAWN,
            source=ConsentSource.SMS_REPLY,
            note=reply,
        )


def sms_send_test(*, actor, to: str, text: str = "", template=None) -> Message:
    """Queue a test SMS from an administrator to a number."""
    body = text
    if template is not None and not body:
        _subject, body = messaging.render_template(template, user=actor)
    return messaging.message_queue(
        actor=actor, channel=Channel.SMS, to_address=to, body=body, template=template
    )
