"""Queue, deliver and account for messages of every channel (email, SMS).

`message_queue` writes one message to one recipient (skipped, with the reason, when the
person opted out of the channel or has no address) and hands it to the worker after
commit. `message_deliver` claims a queued message with a conditional UPDATE — so two
workers never send it twice — and passes it to the channel's sender. A temporary failure
is retried with growing delays; after the last attempt, or at once for a permanent
failure, the message is failed with the reason and the user who sent it is told. A sent
message is logged as an activity on the timeline of the record it was sent from.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.activities import links, placeholders
from guanxi.activities.channels import DeliveryError, sender_for
from guanxi.activities.choices import (
    ActivityKind,
    Channel,
    MessageDirection,
    MessageStatus,
)
from guanxi.activities.models import Message, MessageBatch, MessageTemplate
from guanxi.core import events, registry
from guanxi.core.models import User

# Seconds to wait before each retry; after the last one the message is failed.
RETRY_DELAYS = (60, 300, 1800, 7200, 21600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A message left "sending" this long belongs to a worker that died: send it again.
STALE_SENDING = datetime.timedelta(minutes=30)


def record_link(record) -> tuple[str, int | None, int | None]:
    """Return the entity, pk and customer pk a message sent from `record` links to."""
    if record is None:
        return "", None, None
    entity = registry.for_model(type(record))
    name = entity.name if entity is not None else ""
    if not links.linkable(name):
        return "", None, None
    return name, record.pk, links.account_id_of(name, record)


def opted_out(person, channel: str) -> bool:
    """Tell whether a contact or customer has withdrawn consent on a channel."""
    from guanxi.customers.choices import ConsentStatus
    from guanxi.customers.privacy import consent_status

    if person is None or getattr(person, "pk", None) is None:
        return False
    return consent_status(person, channel) == ConsentStatus.WITHDRAWN


def render_template(
    template: MessageTemplate, *, record=None, contact=None, user=None
) -> tuple[str, str]:
    """Return a template's subject and text filled from the record, contact and user."""
    context = placeholders.context_for(record=record, contact=contact, user=user)
    return (
        placeholders.render(template.subject, context),
        placeholders.render(template.body, context),
    )


@transaction.atomic
def message_queue(
    *,
    actor: User | None,
    channel: str,
    to_address: str,
    subject: str = "",
    body: str = "",
    body_html: str = "",
    to_name: str = "",
    cc: Iterable[str] = (),
    record=None,
    contact=None,
    template: MessageTemplate | None = None,
    batch: MessageBatch | None = None,
    from_address: str = "",
    in_reply_to: str = "",
    references: str = "",
    deliver: bool = True,
) -> Message:
    """Write one message to one recipient and send it from the worker once committed."""
    if channel not in Channel.values:
        raise ValueError(channel)
    link_entity, link_id, account_id = record_link(record)
    if contact is None and link_entity == "contact":
        contact = record
    message = Message(
        channel=channel,
        direction=MessageDirection.OUTBOUND,
        batch=batch,
        template=template,
        link_entity=link_entity,
        link_id=link_id,
        account_id=account_id or getattr(contact, "account_id", None),
        contact=contact,
        sender=actor if actor is not None and actor.is_authenticated else None,
        from_address=from_address,
        to_address=(to_address or "").strip(),
        to_name=to_name or (str(contact) if contact is not None else ""),
        cc=list(cc),
        subject=subject,
        body=body,
        body_html=body_html,
        in_reply_to=in_reply_to,
        references=references,
    )
    person = contact if contact is not None else _individual(record)
    if not message.to_address:
        message.status = MessageStatus.SKIPPED
        message.last_error = _("No address to send to.")
    elif opted_out(person, channel):
        message.status = MessageStatus.SKIPPED
        message.last_error = _("The recipient opted out of this channel.")
    message.save()
    if message.status == MessageStatus.SKIPPED:
        if batch is not None:
            MessageBatch.objects.filter(pk=batch.pk).update(skipped_count=F("skipped_count") + 1)
    elif deliver:
        message_id = message.pk
        transaction.on_commit(lambda: _enqueue(message_id))
    events.emit(
        "message.queued",
        id=message.pk,
        channel=channel,
        status=message.status,
        actor_id=getattr(actor, "pk", None),
    )
    return message


def _individual(record):
    """Return the record itself when a message goes to a customer who is a person."""
    from guanxi.customers.models import Account

    return record if isinstance(record, Account) else None


def _enqueue(message_id: int) -> None:
    from guanxi.activities.tasks import deliver_message

    deliver_message(message_id)


def _claim(message_id: int, now: datetime.datetime) -> bool:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = Message.objects.filter(due, pk=message_id, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    return claimed == 1


def message_deliver(message_id: int, *, sender=None) -> Message | None:
    """Send a queued message that is due; return it, or None when it was not ours to send.

    `sender` is the channel's sender to use (a bulk drain passes one that keeps its
    connection); by default the channel's registered sender.
    """
    now = timezone.now()
    if not _claim(message_id, now):
        return None
    message = Message.objects.select_related("batch").get(pk=message_id)
    try:
        delivery = (sender or sender_for(message.channel)).send(message)
    except DeliveryError as error:
        _failed_attempt(message, error)
        return message
    except Exception as error:  # a sender's bug must not leave the message "sending"
        _failed_attempt(message, DeliveryError(f"{type(error).__name__}: {error}"))
        raise
    _sent(message, delivery)
    return message


@transaction.atomic
def _sent(message: Message, delivery) -> None:
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    message.next_attempt_at = None
    message.last_error = ""
    message.provider = delivery.provider
    message.provider_id = delivery.provider_id[:100]
    message.message_id = delivery.message_id or message.message_id
    message.activity = _log_activity(message)
    message.save()
    if message.batch_id:
        MessageBatch.objects.filter(pk=message.batch_id).update(sent_count=F("sent_count") + 1)
    events.emit("message.sent", id=message.pk, channel=message.channel)


@transaction.atomic
def _failed_attempt(message: Message, error: DeliveryError) -> None:
    message.last_error = error.reason[:2000]
    if error.permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = MessageStatus.FAILED
        message.next_attempt_at = None
        message.save()
        if message.batch_id:
            MessageBatch.objects.filter(pk=message.batch_id).update(
                failed_count=F("failed_count") + 1
            )
        _tell_sender(message)
        events.emit("message.failed", id=message.pk, channel=message.channel)
        return
    delay = RETRY_DELAYS[min(message.attempts, MAX_ATTEMPTS) - 1]
    message.status = MessageStatus.QUEUED
    message.next_attempt_at = timezone.now() + datetime.timedelta(seconds=delay)
    message.save()


def _tell_sender(message: Message) -> None:
    """Tell the user who sent a single message that it failed (bulk sends show it on the batch)."""
    from django.conf import settings

    from guanxi.core.services import notify

    sender = message.sender
    if sender is None or not sender.is_active or message.batch_id:
        return
    with override(sender.language or settings.LANGUAGE_CODE):
        notify(
            recipient=sender,
            title=_("Could not send %(channel)s to %(address)s")
            % {"channel": message.get_channel_display(), "address": message.to_address},
            body=message.last_error,
            url=f"/messages/{message.pk}/",
        )


def _log_activity(message: Message):
    from guanxi.activities.services import activity_log

    record = None
    if message.link_entity and message.link_id:
        entity = registry.find(message.link_entity)
        if entity is not None:
            record = entity.model.objects.filter(pk=message.link_id).first()
    if record is None and message.contact_id is None:
        return None
    kind = ActivityKind.EMAIL if message.channel == Channel.EMAIL else ActivityKind.SMS
    subject = message.subject or message.body
    return activity_log(
        actor=message.sender,
        kind=kind,
        subject=subject[:200] or message.to_address,
        record=record if record is not None else message.contact,
        description=message.body,
        owner=message.sender,
        at=message.sent_at,
        contacts=[message.contact_id] if message.contact_id else (),
    )


def messages_due(now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Return the ids of queued messages whose next attempt is due; revive stale sends."""
    now = now or timezone.now()
    Message.objects.filter(status=MessageStatus.SENDING, updated_at__lt=now - STALE_SENDING).update(
        status=MessageStatus.QUEUED, next_attempt_at=now
    )
    return list(
        Message.objects.filter(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def message_update_delivery(
    *, provider: str, provider_id: str, delivered: bool, reason: str = "", at=None
) -> Message | None:
    """Record a provider's delivery report of a sent message (an SMS receipt, a bounce)."""
    message = (
        Message.objects.select_for_update()
        .filter(provider=provider, provider_id=provider_id)
        .first()
    )
    if message is None:
        return None
    if delivered:
        message.status = MessageStatus.DELIVERED
        message.delivered_at = at or timezone.now()
    else:
        was_counted_sent = message.status in (MessageStatus.SENT, MessageStatus.DELIVERED)
        message.status = MessageStatus.FAILED
        message.last_error = reason[:2000]
        if message.batch_id and was_counted_sent:
            MessageBatch.objects.filter(pk=message.batch_id).update(
                sent_count=F("sent_count") - 1, failed_count=F("failed_count") + 1
            )
    message.save()
    events.emit(
        "message.delivered" if delivered else "message.failed",
        id=message.pk,
        channel=message.channel,
    )
    return message


def message_payload(message: Message) -> dict[str, Any]:
    return {"id": message.pk, "channel": message.channel, "status": message.status}
