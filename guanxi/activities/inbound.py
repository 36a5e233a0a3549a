"""Incoming email: store a fetched message, match it to a contact or customer, thread it.

`message_receive` keeps one email of a mailbox as a `Message` (stored once per mailbox:
a unique Message-ID per mailbox makes a second, simultaneous fetch a no-op), with its
attachments. It joins the thread of a stored message it answers (In-Reply-To,
References) and links to that message's record; otherwise the sender — or, for mail the
mailbox's own user sent from their mail client, the recipients — is matched to a contact,
then to a customer, by email address. A linked email is logged as an email activity on
the record's timeline. An email nobody matched waits in the "unmatched" list, where
`inbound_link` files it by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from guanxi.activities.choices import ActivityKind, Channel, MessageDirection, MessageStatus
from guanxi.activities.mail_parser import ParsedMail
from guanxi.activities.models import (
    ActivityAttachment,
    Mailbox,
    Message,
    MessageAttachment,
)
from guanxi.core import events, registry
from guanxi.core.choices import Action
from guanxi.core.dedupe import normalize
from guanxi.core.models import DuplicateKey, User
from guanxi.core.permissions import require

logger = logging.getLogger(__name__)


def max_attachment_bytes() -> int:
    return getattr(settings, "GUANXI_MAIL_MAX_ATTACHMENT_MB", 25) * 1024 * 1024


def _email_keys(entity_name: str, address: str) -> list[str]:
    """Return the duplicate engine's blocking keys an address is indexed under."""
    rules = registry.get(entity_name).duplicates
    canonical = normalize.canonical_email(address)
    if rules is None or not canonical:
        return []
    return [f"{rule.key}:{canonical}" for rule in rules.fields if rule.method == normalize.EMAIL]


def _by_email(entity_name: str, address: str):
    """Return the most recently changed record of an entity with this email address.

    Addresses are compared as the duplicate engine does (case-folded; Gmail dots and
    "+tags" ignored): candidates come from its indexed keys and an exact indexed match.
    """
    model = registry.get(entity_name).model
    keys = _email_keys(entity_name, address)
    found = Q(email__in={address, address.lower()})
    if keys:
        ids = DuplicateKey.objects.filter(entity=entity_name, key__in=keys).values("object_id")
        found |= Q(pk__in=ids)
    canonical = normalize.canonical_email(address)
    candidates = model.objects.filter(found).order_by("-updated_at", "-pk")[:20]
    return next(
        (record for record in candidates if normalize.canonical_email(record.email) == canonical),
        None,
    )


def match_addresses(addresses: Iterable[str]):
    """Return (contact, customer) of the first address a contact, else a customer, has."""
    addresses = [address for address in addresses if address]
    for address in addresses:
        contact = _by_email("contact", address)
        if contact is not None:
            return contact, contact.account
    for address in addresses:
        account = _by_email("account", address)
        if account is not None:
            return None, account
    return None, None


def _thread_parent(mail: ParsedMail) -> Message | None:
    """Return the stored message this email answers, the nearest ancestor first."""
    ids = mail.thread_ids
    if not ids:
        return None
    found = {m.message_id: m for m in Message.objects.filter(message_id__in=ids[:50])}
    return next((found[i] for i in ids if i in found), None)


def _record(entity_name: str, pk: int | None):
    entity = registry.find(entity_name) if entity_name else None
    if entity is None or pk is None:
        return None
    return entity.model.objects.filter(pk=pk).first()


def _link(message: Message, record) -> None:
    from guanxi.activities.messaging import record_link

    message.link_entity, message.link_id, account_id = record_link(record)
    message.account_id = account_id
    if message.link_entity == "contact":
        message.contact = record


def _apply_match(message: Message, mail: ParsedMail, own: set[str], outgoing: bool) -> None:
    """Link a new message to the record its thread or its addresses point to."""
    parent = _thread_parent(mail)
    if parent is not None:
        message.thread_id = parent.thread_id or parent.pk
    if outgoing:
        addresses = [address for _name, address in mail.to + mail.cc if address not in own]
    else:
        addresses = [mail.from_address]
    contact, account = match_addresses(addresses)
    if parent is not None and parent.link_entity:
        message.link_entity, message.link_id = parent.link_entity, parent.link_id
        message.account_id = parent.account_id
        message.contact = contact or parent.contact
    elif contact is not None:
        _link(message, contact)
    elif account is not None:
        _link(message, account)


@transaction.atomic
def message_receive(*, mailbox: Mailbox, mail: ParsedMail) -> Message:
    """Store one fetched email of a mailbox, match it, and log it on the record's timeline.

    Raise IntegrityError when the mailbox already holds an email with its Message-ID.
    """
    own = mailbox.own_addresses()
    outgoing = mail.from_address in own
    first_to = mail.to[0] if mail.to else ("", mailbox.email or mailbox.username)
    message = Message(
        channel=Channel.EMAIL,
        direction=MessageDirection.OUTBOUND if outgoing else MessageDirection.INBOUND,
        status=MessageStatus.SENT if outgoing else MessageStatus.RECEIVED,
        mailbox=mailbox,
        sender=mailbox.owner if outgoing else None,
        from_address=mail.from_address[:254],
        to_address=first_to[1][:254],
        from_name=mail.from_name[:200],
        to_name=first_to[0][:200],
        cc=[address for _name, address in mail.to[1:] + mail.cc],
        subject=mail.subject[:300],
        body=mail.text,
        body_html=mail.html,
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        references=" ".join(mail.references),
        provider="imap",
        sent_at=mail.date or timezone.now(),
    )
    _apply_match(message, mail, own, outgoing)
    message.save()  # first: a duplicate stops here, before any file is written
    notes = _store_attachments(message, mail)
    if notes:
        message.body = "\n".join([message.body, "", *notes]).strip()
        message.save(update_fields=["body"])
    if message.link_entity:
        message.activity = _log_activity(message, actor=None)
        message.save(update_fields=["activity"])
    events.emit(
        "message.received",
        id=message.pk,
        channel=message.channel,
        mailbox_id=mailbox.pk,
        link_entity=message.link_entity,
        link_id=message.link_id,
    )
    return message


def _store_attachments(message: Message, mail: ParsedMail) -> list[str]:
    """Keep the attachments up to the size cap; return a note for each one left out."""
    cap = max_attachment_bytes()
    notes = []
    for part in mail.attachments:
        if len(part.data) > cap:
            notes.append(
                _("The attachment “%(name)s” (%(size)s MB) was not kept: larger than %(cap)s MB.")
                % {
                    "name": part.name,
                    "size": round(len(part.data) / 1024 / 1024, 1),
                    "cap": cap // 1024 // 1024,
                }
            )
            continue
        attachment = MessageAttachment(
            message=message,
            name=part.name[:200],
            size=len(part.data),
            content_type=part.content_type[:100],
        )
        attachment.file.save(part.name[:150] or "attachment", ContentFile(part.data), save=False)
        attachment.save()
    return notes


def _description(message: Message) -> str:
    if message.body_html:
        return message.body_html
    return linebreaks(escape(message.body))


def _activity_owner(message: Message, record, actor: User | None) -> User | None:
    """Return who owns the activity: a personal mailbox's owner, else the record's owner."""
    mailbox = message.mailbox
    if mailbox is not None and mailbox.owner_id is not None:
        return mailbox.owner
    return getattr(record, "owner", None) or actor


def _log_activity(message: Message, *, actor: User | None):
    from guanxi.activities.services import activity_log

    record = _record(message.link_entity, message.link_id)
    if record is None:
        return None
    activity = activity_log(
        actor=actor,
        kind=ActivityKind.EMAIL,
        subject=message.subject or _("(no subject)"),
        record=record,
        description=_description(message),
        owner=_activity_owner(message, record, actor),
        at=message.sent_at,
        contacts=[message.contact_id] if message.contact_id else (),
    )
    ActivityAttachment.objects.bulk_create(
        ActivityAttachment(
            activity=activity,
            file=attachment.file.name,  # the same stored file: kept once
            name=attachment.name,
            size=attachment.size,
            content_type=attachment.content_type,
            uploaded_by=actor,
        )
        for attachment in message.attachments.all()
    )
    return activity


def unmatched_for(user: User):
    """Return the incoming emails linked to no record, of the mailboxes the user reads."""
    return (
        Message.objects.filter(
            mailbox__in=Mailbox.objects.readable_by(user).values("pk"), link_entity=""
        )
        .select_related("mailbox")
        .order_by("-created_at", "-id")
    )


def readable_message(user: User, pk: int) -> Message | None:
    """Return an email of a mailbox the user reads, or None."""
    return (
        Message.objects.filter(mailbox__in=Mailbox.objects.readable_by(user).values("pk"), pk=pk)
        .select_related("mailbox", "mailbox__owner")
        .first()
    )


@transaction.atomic
def inbound_link(*, actor: User, message: Message, record) -> Message:
    """File an unmatched email on a record by hand, with the rest of its thread."""
    require(actor, "activity", Action.CREATE)
    if not Mailbox.objects.readable_by(actor).filter(pk=message.mailbox_id).exists():
        raise PermissionDenied
    current = Message.objects.select_for_update().get(pk=message.pk)
    if current.link_entity:
        return current
    thread_root = current.thread_id or current.pk
    pending = Message.objects.select_for_update().filter(
        Q(pk=thread_root) | Q(thread_id=thread_root), link_entity="", mailbox=current.mailbox
    )
    for each in [current, *pending.exclude(pk=current.pk)]:
        _link(each, record)
        each.save(update_fields=["link_entity", "link_id", "account", "contact", "updated_at"])
        each.activity = _log_activity(each, actor=actor)
        each.save(update_fields=["activity"])
        events.emit(
            "message.linked",
            id=each.pk,
            link_entity=each.link_entity,
            link_id=each.link_id,
            actor_id=actor.pk,
        )
    return current


def counterpart_address(message: Message) -> tuple[str, str]:
    """Return (name, address) of the person an email is with: its sender, or recipient."""
    if message.direction == MessageDirection.OUTBOUND:
        return message.to_name, message.to_address
    return message.from_name, message.from_address


def contact_form_for(*, actor: User, message: Message, data: dict):
    """Return the contact form of a new contact for an email's sender (its address set)."""
    entity = registry.get("contact")
    name, address = counterpart_address(message)
    values = {
        "name": data.get("name") or name or address.split("@")[0],
        "email": address,
        "account": data.get("account") or "",
        "owner": actor.pk,
    }
    return entity.form_class(values, user=actor)


@transaction.atomic
def inbound_create_contact(*, actor: User, message: Message, form):
    """Create a contact from a valid contact form and file the email (and its thread) on it."""
    from guanxi.core.services import record_create

    contact = record_create(actor=actor, entity=registry.get("contact"), form=form)
    inbound_link(actor=actor, message=message, record=contact)
    return contact
