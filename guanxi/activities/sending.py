"""Send email and SMS from a record: recipients, templates, attachments, invitations.

The screens and the API both call `messages_send`: it checks the recipients, text and
attachments, and queues one message per recipient (the cc on each) through the channel
layer (`messaging.message_queue`), which delivers, retries and logs them on the timeline.
Placeholders are filled per recipient, and a template written in several languages is
chosen in the recipient's language.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from guanxi.activities import links, messaging, placeholders
from guanxi.activities.choices import Channel, TemplateLanguage
from guanxi.activities.models import (
    Message,
    MessageAttachment,
    MessageTemplate,
)
from guanxi.activities.models.messages import message_attachment_path
from guanxi.activities.sms.segments import sms_segments
from guanxi.core.choices import Action
from guanxi.core.models import User
from guanxi.core.phones import normalize_phone

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS_TOTAL = 25 * 1024 * 1024
MAX_RECIPIENTS = 50
CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int
    segments: int


def sms_length(text: str) -> SmsLength:
    """Return how many characters and SMS segments a text takes (the SMS channel's count)."""
    counted = sms_segments(text or "")
    return SmsLength(counted.encoding, counted.length, counted.parts)


@dataclass
class Recipient:
    """One person a message goes to: the address, a name, and the contact when known."""

    address: str
    name: str = ""
    contact: Any = None

    @property
    def label(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


def address_of(person, channel: str) -> str:
    """Return a contact's or customer's address on a channel ("" when it has none)."""
    if person is None:
        return ""
    if channel == Channel.EMAIL:
        return (getattr(person, "email", "") or "").strip()
    return (getattr(person, "mobile", "") or "").strip()


def record_contacts(record, user):
    """Return the contacts a message from a record may go to that the user may see."""
    from guanxi.customers.models import Contact

    entity_name = messaging.record_link(record)[0]
    visible = Contact.objects.visible_to(user, Action.VIEW)
    if entity_name == "contact":
        return visible.filter(Q(pk=record.pk) | Q(account_id=record.account_id)).order_by(
            "-is_primary", "name"
        )
    account_id = links.account_id_of(entity_name, record)
    if account_id is None:
        return visible.none()
    return visible.filter(account_id=account_id).order_by("-is_primary", "name")


def recipient_choices(record, user, channel: str) -> list[Recipient]:
    """Return who a message from a record can go to: its contacts with an address."""
    choices = []
    for contact in record_contacts(record, user):
        address = address_of(contact, channel)
        if address:
            choices.append(Recipient(address, contact.name, contact))
    own = address_of(record, channel) if messaging.record_link(record)[0] == "account" else ""
    if own and all(choice.address.lower() != own.lower() for choice in choices):
        choices.insert(0, Recipient(own, str(record), None))
    return choices


def _clean_address(value: str, channel: str) -> str:
    value = (value or "").strip()
    if channel == Channel.EMAIL:
        validate_email(value)
        return value
    if not normalize_phone(value):
        raise ValidationError(_("Enter a valid mobile number."))
    return value


def resolve_recipients(record, user, channel: str, values) -> list[Recipient]:
    """Turn the addresses typed or picked into recipients, matched to the record's contacts.

    Raise ValidationError naming each address that is not valid.
    """
    known = {choice.address.lower(): choice for choice in recipient_choices(record, user, channel)}
    recipients, bad, seen = [], [], set()
    for value in values:
        value = (value or "").strip()
        if not value or value.lower() in seen:
            continue
        seen.add(value.lower())
        if value.lower() in known:
            recipients.append(known[value.lower()])
            continue
        try:
            recipients.append(Recipient(_clean_address(value, channel)))
        except ValidationError:
            bad.append(value)
    if bad:
        raise ValidationError(
            {"to": [_("Not a valid address: %(address)s") % {"address": ", ".join(bad)}]}
        )
    if not recipients:
        raise ValidationError({"to": [_("Choose at least one recipient.")]})
    if len(recipients) > MAX_RECIPIENTS:
        raise ValidationError(
            {
                "to": [
                    _("Send to at most %(count)s recipients at once; use a bulk send for more.")
                    % {"count": MAX_RECIPIENTS}
                ]
            }
        )
    return recipients


def language_of(person, fallback: str = "") -> str:
    """Return the language to write to a person in: theirs if known, else from their name.

    Contacts carry no language: a name in Chinese characters reads as Simplified Chinese,
    a name in Latin letters as English, and without a name the sender's language is used.
    """
    language = getattr(person, "language", "") or ""
    if language in TemplateLanguage.values and language:
        return language
    name = str(getattr(person, "name", "") or "")
    if CJK.search(name):
        return TemplateLanguage.ZH_HANS
    if re.search(r"[A-Za-z]", name):
        return TemplateLanguage.EN
    return fallback if fallback in TemplateLanguage.values else ""


def template_variants(template: MessageTemplate) -> dict[str, MessageTemplate]:
    """Return the active templates of the same channel and name, by language."""
    variants = MessageTemplate.objects.filter(
        channel=template.channel, name=template.name, is_active=True
    )
    found = {variant.language: variant for variant in variants}
    found.setdefault(template.language, template)
    return found


def template_for(variants: dict[str, MessageTemplate], language: str, chosen: MessageTemplate):
    """Pick the variant in a language, else the one for any language, else the chosen one."""
    return variants.get(language) or variants.get(TemplateLanguage.ANY) or chosen


def find_template(value, channel: str) -> MessageTemplate | None:
    """Return the active template of a channel named by id or by name."""
    templates = MessageTemplate.objects.filter(channel=channel, is_active=True)
    if isinstance(value, int) or str(value).isdigit():
        return templates.filter(pk=int(value)).first()
    return templates.filter(name=str(value)).order_by("language").first()


def check_placeholders(**texts: str) -> None:
    """Refuse texts that use placeholders that do not exist."""
    errors = {}
    for field, text in texts.items():
        wrong = placeholders.unknown(text)
        if wrong:
            errors[field] = [
                _("Unknown placeholder: %(names)s")
                % {"names": ", ".join("{{ " + name + " }}" for name in wrong)}
            ]
    if errors:
        raise ValidationError(errors)


@dataclass
class Upload:
    """A file to attach: its name, type and bytes (from a form upload or base64)."""

    name: str
    content_type: str
    content: bytes

    @classmethod
    def from_file(cls, upload) -> Upload:
        return cls(upload.name, getattr(upload, "content_type", "") or "", upload.read())


def check_attachment_sizes(sizes: list[tuple[str, int]]) -> None:
    """Refuse a file over 10 MB, or files together over 25 MB, with a clear message."""
    errors = []
    for name, size in sizes:
        if size > MAX_ATTACHMENT_BYTES:
            errors.append(
                _("“%(name)s” is too large: each attachment may be up to %(size)s MB.")
                % {"name": name, "size": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
            )
    if sum(size for _name, size in sizes) > MAX_ATTACHMENTS_TOTAL:
        errors.append(
            _("The attachments together may be up to %(size)s MB.")
            % {"size": MAX_ATTACHMENTS_TOTAL // (1024 * 1024)}
        )
    if errors:
        raise ValidationError({"attachments": errors})


def _store(uploads: list[Upload]) -> list[tuple[str, Upload]]:
    """Write each file once; every message of the send points at the same stored file."""
    stored = []
    for upload in uploads:
        name = default_storage.save(
            message_attachment_path(None, upload.name), ContentFile(upload.content)
        )
        stored.append((name, upload))
    return stored


def _check_send(channel, recipients, cc, subject, body, template, uploads) -> None:
    errors: dict[str, list[str]] = {}
    if channel == Channel.EMAIL:
        for address in cc:
            try:
                validate_email(address)
            except ValidationError:
                errors.setdefault("cc", []).append(
                    _("Not a valid address: %(address)s") % {"address": address}
                )
        if not subject.strip() and not (template and template.subject):
            errors["subject"] = [_("Enter a subject.")]
    elif cc or uploads:
        errors["__all__"] = [_("An SMS has no cc and no attachments.")]
    if not body.strip() and template is None:
        errors["body"] = [_("Enter the text, or choose a template.")]
    if errors:
        raise ValidationError(errors)
    check_placeholders(subject=subject, body=body)
    check_attachment_sizes([(upload.name, len(upload.content)) for upload in uploads])


def messages_send(
    *,
    actor: User,
    channel: str,
    record,
    recipients: list[Recipient],
    subject: str = "",
    body: str = "",
    template: MessageTemplate | None = None,
    cc: list[str] | tuple = (),
    uploads: list[Upload] | tuple = (),
) -> list[Message]:
    """Queue one message per recipient from a record; return them.

    With a template and no text of one's own, each recipient gets the template's version
    in their language; placeholders are filled for each recipient. Raise ValidationError
    (nothing written) when a recipient, the text or an attachment is not acceptable.
    """
    cc = [address.strip() for address in cc if address.strip()]
    uploads = list(uploads)
    _check_send(channel, recipients, cc, subject, body, template, uploads)
    variants = template_variants(template) if template is not None else {}
    own_text = bool(subject.strip() or body.strip())
    messages = []
    with transaction.atomic():
        stored = _store(uploads)
        for recipient in recipients:
            chosen = template
            if template is not None and not own_text:
                language = language_of(recipient.contact, actor.language)
                chosen = template_for(variants, language, template)
            text_subject = subject if subject.strip() or chosen is None else chosen.subject
            text_body = body if body.strip() or chosen is None else chosen.body
            context = placeholders.context_for(record=record, contact=recipient.contact, user=actor)
            message = messaging.message_queue(
                actor=actor,
                channel=channel,
                to_address=recipient.address,
                to_name=recipient.name,
                cc=cc,
                subject=placeholders.render(text_subject, context)[:300],
                body=placeholders.render(text_body, context),
                record=record,
                contact=recipient.contact,
                template=chosen,
            )
            MessageAttachment.objects.bulk_create(
                [
                    MessageAttachment(
                        message=message,
                        file=name,
                        name=upload.name[:200],
                        size=len(upload.content),
                        content_type=upload.content_type[:100],
                    )
                    for name, upload in stored
                ]
            )
            messages.append(message)
    return messages


def invitation_recipients(activity) -> list[Recipient]:
    """Return the contacts taking part in a meeting who have an email address."""
    return [
        Recipient(contact.email, contact.name, contact)
        for contact in activity.participant_contacts.order_by("name")
        if contact.email
    ]


def _when(activity) -> str:
    start = timezone.localtime(activity.starts_at)
    if activity.all_day:
        return date_format(start, "DATE_FORMAT")
    end = timezone.localtime(activity.ends_at or activity.starts_at + datetime.timedelta(hours=1))
    return f"{date_format(start, 'DATETIME_FORMAT')} – {date_format(end, 'TIME_FORMAT')}"


def invitation_send(*, actor: User, activity) -> list[Message]:
    """Email each contact of a meeting an invitation with an iCalendar REQUEST attached.

    Calendar programs (Outlook, Google, phones) offer to accept it; a cancelled meeting
    sends a CANCEL instead.
    """
    from guanxi.activities import ics

    if activity.starts_at is None:
        raise ValidationError({"__all__": [_("The meeting has no start time to invite to.")]})
    recipients = invitation_recipients(activity)
    if not recipients:
        raise ValidationError(
            {"__all__": [_("No contact taking part in this meeting has an email address.")]}
        )
    organizer = actor.email or settings.DEFAULT_FROM_EMAIL
    content = ics.invitation(
        activity,
        organizer_email=organizer,
        attendees=[(recipient.name, recipient.address) for recipient in recipients],
    )
    method = "CANCEL" if b"METHOD:CANCEL" in content else "REQUEST"
    record = links.linked_record(activity.link_entity, activity.link_id, actor)
    lines = [_("When: %(when)s") % {"when": _when(activity)}]
    if activity.location:
        lines.append(_("Where: %(place)s") % {"place": activity.location})
    from guanxi.activities.richtext import plain_text

    description = plain_text(activity.description, limit=2000)
    if description:
        lines += ["", description]
    subject = (
        _("Cancelled: %(subject)s") if method == "CANCEL" else _("Invitation: %(subject)s")
    ) % {"subject": activity.subject}
    return messages_send(
        actor=actor,
        channel=Channel.EMAIL,
        record=record,
        recipients=recipients,
        subject=subject,
        body="\n".join(lines),
        uploads=[Upload("invite.ics", f"text/calendar; method={method}; charset=utf-8", content)],
    )


@transaction.atomic
def message_resend(*, actor: User, message: Message) -> Message:
    """Queue a failed message again as a new message with the same text and files."""
    if message.status != "failed":
        raise ValidationError({"__all__": [_("Only a failed message can be sent again.")]})
    record = None
    if message.link_entity and message.link_id:
        record = links.linked_record(message.link_entity, message.link_id, actor)
    again = messaging.message_queue(
        actor=actor,
        channel=message.channel,
        to_address=message.to_address,
        to_name=message.to_name,
        cc=message.cc,
        subject=message.subject,
        body=message.body,
        body_html=message.body_html,
        record=record,
        contact=message.contact,
        template=message.template,
        in_reply_to=message.in_reply_to,
        references=message.references,
    )
    MessageAttachment.objects.bulk_create(
        [
            MessageAttachment(
                message=again,
                file=attachment.file.name,
                name=attachment.name,
                size=attachment.size,
                content_type=attachment.content_type,
            )
            for attachment in message.attachments.all()
        ]
    )
    return again
