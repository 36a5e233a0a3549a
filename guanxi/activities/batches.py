"""Bulk sends (CUS-7): one email or SMS to every record of a selection, throttled.

`batch_build` writes the messages of a `MessageBatch` a thousand at a time (one INSERT a
chunk): each selected customer or contact becomes one message, or one skipped row saying
why (no address, opted out). Each message gets a planned time, spaced so that a channel
sends at most `GUANXI_EMAIL_RATE` / `GUANXI_SMS_RATE` messages a minute across all bulk
sends; `messages_drain` (a Huey task, on SqliteHuey and RedisHuey alike) sends them as
their time comes and paces itself to the same rate, then schedules itself for the next.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.activities import channels, messaging, placeholders, sending
from guanxi.activities.choices import Channel, MessageDirection, MessageStatus
from guanxi.activities.email_sender import EmailSender, kept_connection_sender
from guanxi.activities.models import Message, MessageBatch, MessageTemplate
from guanxi.core import events
from guanxi.core.models import User

CHUNK = 1000
# A drain waits in place for a message due this soon; for a later one it is scheduled.
DRAIN_WAIT = 2.0
# How long one drain task runs before it hands over to a fresh one.
DRAIN_BUDGET = 55.0

# Entities a bulk send can go to, and how a record becomes a recipient.
BULK_ENTITIES = ("account", "contact")


def rate_for(channel: str) -> int:
    """Return the most messages a minute a channel may send (0: no limit)."""
    if channel == Channel.SMS:
        return settings.GUANXI_SMS_RATE
    return settings.GUANXI_EMAIL_RATE


def interval_for(channel: str) -> float:
    rate = rate_for(channel)
    return 60.0 / rate if rate > 0 else 0.0


def plan_slots(channel: str, count: int, *, after: datetime.datetime | None = None):
    """Return `count` send times, spaced by the channel's rate after the ones already planned."""
    now = timezone.now()
    interval = datetime.timedelta(seconds=interval_for(channel))
    if not interval:
        return [now] * count
    if after is None:
        after = Message.objects.filter(
            channel=channel, status=MessageStatus.QUEUED, batch__isnull=False
        ).aggregate(last=Max("next_attempt_at"))["last"]
    start = max(now, after + interval) if after else now
    return [start + interval * index for index in range(count)]


@dataclass
class BulkRecipient:
    record: object
    recipient: sending.Recipient | None
    person: object  # whose opt-out counts: the contact, or the customer itself


def _account_recipients(accounts: list, channel: str) -> list[BulkRecipient]:
    """Return each customer's own address, else its primary contact's."""
    from guanxi.customers.models import Contact

    primary = {}
    for contact in Contact.objects.filter(
        account_id__in=[account.pk for account in accounts], is_primary=True
    ).order_by("-id"):
        primary[contact.account_id] = contact
    found = []
    for account in accounts:
        own = sending.address_of(account, channel) if channel == Channel.EMAIL else ""
        contact = primary.get(account.pk)
        if own:
            recipient = sending.Recipient(own, account.name, None)
            person = account
        elif contact is not None and sending.address_of(contact, channel):
            contact.account = account
            recipient = sending.Recipient(
                sending.address_of(contact, channel), contact.name, contact
            )
            person = contact
        else:
            recipient, person = None, account
        found.append(BulkRecipient(account, recipient, person))
    return found


def _contact_recipients(contacts: list, channel: str) -> list[BulkRecipient]:
    found = []
    for contact in contacts:
        address = sending.address_of(contact, channel)
        recipient = sending.Recipient(address, contact.name, contact) if address else None
        found.append(BulkRecipient(contact, recipient, contact))
    return found


def recipients_of(entity_name: str, records: list, channel: str) -> list[BulkRecipient]:
    if entity_name == "account":
        return _account_recipients(records, channel)
    return _contact_recipients(records, channel)


def _opted_out(recipients: list[BulkRecipient], channel: str) -> set[tuple[str, int]]:
    """Return ("contact"|"account", pk) of the people who withdrew consent, in one query."""
    from guanxi.customers.choices import ConsentStatus
    from guanxi.customers.models import Account, Consent, Contact

    contact_ids = [r.person.pk for r in recipients if isinstance(r.person, Contact)]
    account_ids = [r.person.pk for r in recipients if isinstance(r.person, Account)]
    rows = Consent.objects.filter(
        Q(contact_id__in=contact_ids) | Q(account_id__in=account_ids),
        channel=channel,
        current=True,
        status=ConsentStatus.WITHDRAWN,
    ).values_list("contact_id", "account_id")
    return {("contact", c) if c else ("account", a) for c, a in rows}


def _key(person) -> tuple[str, int]:
    from guanxi.customers.models import Contact

    return ("contact" if isinstance(person, Contact) else "account", person.pk)


def batch_preview(entity_name: str, queryset, channel: str, limit: int = 2000) -> dict:
    """Count, over the first `limit` selected records, who gets the message and who not."""
    records = list(_records(entity_name, queryset)[: limit + 1])
    more = len(records) > limit
    records = records[:limit]
    recipients = recipients_of(entity_name, records, channel)
    out = _opted_out(recipients, channel)
    no_address = sum(1 for r in recipients if r.recipient is None)
    opted_out = sum(1 for r in recipients if r.recipient is not None and _key(r.person) in out)
    return {
        "total": len(records),
        "more": more,
        "no_address": no_address,
        "opted_out": opted_out,
        "to_send": len(records) - no_address - opted_out,
        "sample": [r.recipient for r in recipients if r.recipient is not None][:5],
    }


def _records(entity_name: str, queryset):
    related = ("account", "owner") if entity_name == "contact" else ("owner",)
    return queryset.select_related(*related).order_by("pk")


@transaction.atomic
def batch_create(
    *,
    actor: User,
    channel: str,
    template: MessageTemplate | None,
    subject: str = "",
    body: str = "",
    entity: str = "",
) -> MessageBatch:
    """Record a bulk send before its messages are written (a job may write them)."""
    sending.check_placeholders(subject=subject, body=body)
    if template is None and not body.strip():
        from django.core.exceptions import ValidationError

        raise ValidationError({"body": [_("Enter the text, or choose a template.")]})
    if channel == Channel.EMAIL and template is None and not subject.strip():
        from django.core.exceptions import ValidationError

        raise ValidationError({"subject": [_("Enter a subject.")]})
    return MessageBatch.objects.create(
        channel=channel,
        template=template,
        subject=subject or (template.subject if template else ""),
        body=body or (template.body if template else ""),
        created_by=actor,
        updated_by=actor,
    )


def _message(batch, item: BulkRecipient, text, actor, entity_name, account_id) -> Message:
    template, subject, body = text
    recipient = item.recipient
    return Message(
        channel=batch.channel,
        direction=MessageDirection.OUTBOUND,
        batch=batch,
        template=template,
        link_entity=entity_name,
        link_id=item.record.pk,
        account_id=account_id,
        contact=recipient.contact if recipient else None,
        sender=actor,
        to_address=recipient.address if recipient else "",
        to_name=(recipient.name if recipient else str(item.record))[:200],
        subject=subject[:300],
        body=body,
    )


def _texts(batch: MessageBatch, variants, actor, item: BulkRecipient):
    """Return the template, subject and text one recipient gets, placeholders filled."""
    template = batch.template
    subject, body = batch.subject, batch.body
    if template is not None and variants:
        contact = item.recipient.contact if item.recipient else None
        person = contact or (item.record if contact is None else None)
        chosen = sending.template_for(
            variants, sending.language_of(person, actor.language), template
        )
        own = (batch.subject, batch.body) != (template.subject, template.body)
        if not own:
            template, subject, body = chosen, chosen.subject, chosen.body
    contact = item.recipient.contact if item.recipient else None
    context = placeholders.context_for(record=item.record, contact=contact, user=actor)
    return template, placeholders.render(subject, context), placeholders.render(body, context)


def _write_chunk(batch, entity_name, records, actor, variants, last_slot):
    """Write the messages of one chunk of records; return the last planned send time."""
    items = recipients_of(entity_name, records, batch.channel)
    out = _opted_out(items, batch.channel)
    messages, skipped = [], 0
    for item in items:
        account_id = item.record.pk if entity_name == "account" else item.record.account_id
        message = _message(
            batch, item, _texts(batch, variants, actor, item), actor, entity_name, account_id
        )
        if item.recipient is None:
            message.status = MessageStatus.SKIPPED
            message.last_error = _("No address to send to.")
        elif _key(item.person) in out:
            message.status = MessageStatus.SKIPPED
            message.last_error = _("The recipient opted out of this channel.")
        messages.append(message)
    queued = [m for m in messages if m.status == MessageStatus.QUEUED]
    skipped = len(messages) - len(queued)
    slots = plan_slots(batch.channel, len(queued), after=last_slot)
    for message, slot in zip(queued, slots, strict=True):
        message.next_attempt_at = slot
    with transaction.atomic():
        Message.objects.bulk_create(messages, batch_size=CHUNK)
        MessageBatch.objects.filter(pk=batch.pk).update(
            total=F("total") + len(messages), skipped_count=F("skipped_count") + skipped
        )
    return slots[-1] if slots else last_slot


def batch_build(
    *, actor: User, batch: MessageBatch, entity_name: str, queryset, progress=None
) -> MessageBatch:
    """Write one message per selected record, a chunk at a time, then start sending.

    Each chunk is its own transaction, so a crash leaves whole chunks; the batch's
    counters always add up to the rows written.
    """
    if entity_name not in BULK_ENTITIES:
        raise ValueError(entity_name)
    variants = sending.template_variants(batch.template) if batch.template else {}
    last_slot = None
    if interval_for(batch.channel):
        last_slot = Message.objects.filter(
            channel=batch.channel, status=MessageStatus.QUEUED, batch__isnull=False
        ).aggregate(last=Max("next_attempt_at"))["last"]
    chunk: list = []
    for record in _records(entity_name, queryset).iterator(chunk_size=CHUNK):
        chunk.append(record)
        if len(chunk) == CHUNK:
            last_slot = _write_chunk(batch, entity_name, chunk, actor, variants, last_slot)
            if progress is not None:
                progress(len(chunk))
            chunk = []
    if chunk:
        last_slot = _write_chunk(batch, entity_name, chunk, actor, variants, last_slot)
        if progress is not None:
            progress(len(chunk))
    batch.refresh_from_db()
    events.emit("message_batch.built", id=batch.pk, channel=batch.channel, total=batch.total)
    transaction.on_commit(lambda: start_drain(batch.channel))
    return batch


def start_drain(channel: str, eta: datetime.datetime | None = None) -> None:
    """Put a drain of a channel's due messages on the task queue (now or at `eta`)."""
    from guanxi.activities.tasks import drain_messages

    if eta is None:
        drain_messages(channel)
    else:
        drain_messages.schedule((channel,), eta=eta)


def _due(channel: str, now: datetime.datetime, limit: int) -> list[int]:
    return list(
        Message.objects.filter(
            channel=channel, status=MessageStatus.QUEUED, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def _next_due(channel: str) -> datetime.datetime | None:
    return (
        Message.objects.filter(channel=channel, status=MessageStatus.QUEUED)
        .exclude(next_attempt_at__isnull=True)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def messages_drain(channel: str, *, budget: float | None = None) -> datetime.datetime | None:
    """Send a channel's due messages at no more than its rate, for up to `budget` seconds.

    Return when the next queued message is due (to schedule the next drain), or None
    when nothing is left to send.
    """
    interval = interval_for(channel)
    deadline = time.monotonic() + (DRAIN_BUDGET if budget is None else budget)
    sender = _drain_sender(channel)
    try:
        return _drain(channel, interval, deadline, sender)
    finally:
        connection = getattr(sender, "connection", None)
        if connection is not None:
            connection.close()


def _drain_sender(channel: str):
    """Return the sender a drain uses: for email one that keeps its SMTP connection."""
    if channel == Channel.EMAIL and channels.is_default_sender(channel, EmailSender):
        return kept_connection_sender()
    return None


def _drain(channel, interval, deadline, sender) -> datetime.datetime | None:
    last_send = 0.0
    while time.monotonic() < deadline:
        due = _due(channel, timezone.now(), 1 if interval else 200)
        if not due:
            upcoming = _next_due(channel)
            if upcoming is None:
                return None
            wait = (upcoming - timezone.now()).total_seconds()
            if wait > DRAIN_WAIT or time.monotonic() + wait > deadline:
                return upcoming
            time.sleep(max(wait, 0.0))
            continue
        for message_id in due:
            pause = last_send + interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            last_send = time.monotonic()
            messaging.message_deliver(message_id, sender=sender)
    return timezone.now()


@transaction.atomic
def batch_retry_failed(*, actor: User, batch: MessageBatch) -> int:
    """Queue the failed messages of a bulk send again; return how many."""
    failed = Message.objects.select_for_update().filter(batch=batch, status=MessageStatus.FAILED)
    ids = list(failed.values_list("pk", flat=True))
    if not ids:
        return 0
    # Sent again from now on; the drain paces them to the channel's rate.
    for start in range(0, len(ids), CHUNK):
        Message.objects.filter(pk__in=ids[start : start + CHUNK]).update(
            status=MessageStatus.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
    MessageBatch.objects.filter(pk=batch.pk).update(failed_count=F("failed_count") - len(ids))
    events.emit("message_batch.retried", id=batch.pk, count=len(ids), actor_id=actor.pk)
    transaction.on_commit(lambda: start_drain(batch.channel))
    return len(ids)


def batch_counts(batch: MessageBatch) -> dict[str, int]:
    """Return the batch's counters and how many messages still wait."""
    waiting = batch.total - batch.sent_count - batch.failed_count - batch.skipped_count
    done = batch.total - max(waiting, 0)
    percent = round(100 * done / batch.total) if batch.total else 0
    return {
        "total": batch.total,
        "sent": batch.sent_count,
        "failed": batch.failed_count,
        "skipped": batch.skipped_count,
        "waiting": max(waiting, 0),
        "percent": percent,
    }
