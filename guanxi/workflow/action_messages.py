"""Actions that send a message template by email or SMS (发送邮件 / 发送短信).

The message goes through the channel layer exactly as one sent from the record's page
(`activities.sending.messages_send`): the template's version in the recipient's language,
placeholders filled, opt-outs respected, delivery retried by the worker and the sent
message logged on the record's timeline. It goes to the record's own address, its contact
(a customer's primary contact) or its owner.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.activities import placeholders, sending
from guanxi.activities.choices import Channel, MessageStatus
from guanxi.activities.models import MessageTemplate
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import ensure_in_scope
from guanxi.workflow import action_common as common
from guanxi.workflow.actions import (
    ActionContext,
    ActionFailed,
    ActionType,
    ParamsForm,
    register_action,
)

RECORD, CONTACT, OWNER = "record", "contact", "owner"
ADDRESS_FIELD = {Channel.EMAIL: "email", Channel.SMS: "mobile"}


def _model(entity_name: str):
    entity = registry.find(entity_name)
    return entity.model if entity is not None else None


def _has(entity_name: str, name: str) -> bool:
    model = _model(entity_name)
    return model is not None and common._has_field(model, name)


def _has_contact(entity_name: str) -> bool:
    """Tell whether a record of the entity leads to a contact (itself, its contact, its
    customer's primary contact)."""
    return (
        entity_name in ("contact", "account")
        or _has(entity_name, "contact")
        or (_has(entity_name, "account"))
    )


def recipient_choices(entity_name: str, channel: str) -> list[tuple[str, Any]]:
    found = []
    if _has(entity_name, ADDRESS_FIELD[channel]):
        if channel == Channel.EMAIL:
            found.append((RECORD, _("The record's email address")))
        else:
            found.append((RECORD, _("The record's mobile number")))
    if _has_contact(entity_name):
        found.append((CONTACT, _("The record's contact")))
    if _has(entity_name, "owner"):
        found.append((OWNER, _("The record's owner")))
    return found


def contact_of(record, entity_name: str):
    """Return the contact a message about the record goes to (None when there is none)."""
    from guanxi.customers.models import Account, Contact

    if isinstance(record, Contact):
        return record
    if getattr(record, "contact_id", None):
        return record.contact
    account = record if isinstance(record, Account) else getattr(record, "account", None)
    if not isinstance(account, Account):
        return None
    return Contact.objects.filter(account=account).order_by("-is_primary", "name", "pk").first()


def objects_for(entity_name: str, to: str) -> set[str]:
    """Return the placeholder objects a message about a record of the entity can fill."""
    found = {"user", "today"}
    if entity_name in ("account", "contact") or _has(entity_name, "account"):
        found.add("account")
    if entity_name == "contact" or _has(entity_name, "contact") or to == CONTACT:
        found.add("contact")
    return found


def template_problems(template: MessageTemplate, entity_name: str, to: str) -> list[str]:
    """Return the placeholders of a template (every language) that would not render."""
    usable = objects_for(entity_name, to)
    texts = [
        text
        for variant in sending.template_variants(template).values()
        for text in (variant.subject, variant.body)
    ]
    wrong = []
    for text in texts:
        for obj, field in placeholders.PLACEHOLDER.findall(text or ""):
            name = f"{obj}.{field}"
            known = field in placeholders.FIELDS.get(obj, {}) and obj in usable
            if not known and name not in wrong:
                wrong.append(name)
    return wrong


def _not_rendering(template, entity_name: str, wrong: list[str]) -> str:
    entity = registry.find(entity_name)
    return _(
        "“%(template)s” is a template that does not render for %(records)s: it uses %(names)s."
    ) % {
        "template": template,
        "records": entity.verbose_name_plural if entity else entity_name,
        "names": ", ".join("{{ " + name + " }}" for name in wrong),
    }


class MessageForm(ParamsForm):
    channel = Channel.EMAIL

    template = forms.ModelChoiceField(
        label=gettext_lazy("Template"), queryset=MessageTemplate.objects.none()
    )
    to = forms.ChoiceField(label=gettext_lazy("Send to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        field.queryset = MessageTemplate.objects.filter(channel=self.channel, is_active=True)
        field.error_messages["invalid_choice"] = _("Choose an active %(channel)s template.") % {
            "channel": Channel(self.channel).label.lower()
        }
        self.fields["to"].choices = recipient_choices(self.entity_name, self.channel)

    def clean(self):
        cleaned = super().clean()
        template, to = cleaned.get("template"), cleaned.get("to")
        if template is not None and to:
            wrong = template_problems(template, self.entity_name, to)
            if wrong:
                self.add_error("template", _not_rendering(template, self.entity_name, wrong))
        return cleaned


class SmsForm(MessageForm):
    channel = Channel.SMS


def _recipient(context: ActionContext, channel: str, to: str) -> sending.Recipient:
    record = context.record
    if to == OWNER:
        owner = common.owner_of(record)
        address = (owner.email if channel == Channel.EMAIL else owner.phone) if owner else ""
        return sending.Recipient((address or "").strip(), common.user_label(owner))
    if to == CONTACT:
        contact = contact_of(record, context.entity_name)
        return sending.Recipient(
            sending.address_of(contact, channel), str(contact) if contact else "", contact
        )
    address = (getattr(record, ADDRESS_FIELD[channel], "") or "").strip()
    return sending.Recipient(address, str(record), None)


def _send(context: ActionContext, params: dict[str, Any], channel: str) -> str:
    actor = common.require_actor(context)
    to = params.get("to") or RECORD
    template = MessageTemplate.objects.filter(
        pk=params.get("template"), channel=channel, is_active=True
    ).first()
    if template is None:
        raise ActionFailed(_("The message template no longer exists or is not active."))
    wrong = template_problems(template, context.entity_name, to)
    if wrong:
        raise ActionFailed(_not_rendering(template, context.entity_name, wrong))
    recipient = _recipient(context, channel, to)
    if not recipient.address:
        raise ActionFailed(_("No address to send to."))
    with common.acting(context, _("send messages about this record")):
        ensure_in_scope(actor, context.record, Action.VIEW)
        [message] = sending.messages_send(
            actor=actor,
            channel=channel,
            record=context.record,
            recipients=[recipient],
            template=template,
        )
    if message.status == MessageStatus.SKIPPED:
        return _("Not sent to %(address)s: %(reason)s") % {
            "address": message.to_address,
            "reason": message.last_error,
        }
    return _("%(channel)s “%(template)s” queued to %(address)s (message #%(id)s).") % {
        "channel": Channel(channel).label,
        "template": template,
        "address": message.to_address,
        "id": message.pk,
    }


def run_send_email(context: ActionContext, params: dict[str, Any]) -> str:
    return _send(context, params, Channel.EMAIL)


def run_send_sms(context: ActionContext, params: dict[str, Any]) -> str:
    return _send(context, params, Channel.SMS)


def _describe(channel: str):
    def describe(entity_name: str, params: dict[str, Any]) -> str:
        template = MessageTemplate.objects.filter(pk=params.get("template")).first()
        to = dict(recipient_choices(entity_name, channel)).get(params.get("to"), "—")
        return _("Send the %(channel)s template “%(template)s” to %(to)s") % {
            "channel": Channel(channel).label.lower(),
            "template": template or "—",
            "to": str(to).lower(),
        }

    return describe


def _applies(channel: str):
    return lambda entity_name: (
        bool(registry.find(entity_name) and recipient_choices(entity_name, channel))
        and (_has(entity_name, ADDRESS_FIELD[channel]) or _has_contact(entity_name))
    )


SEND_EMAIL = register_action(
    ActionType(
        key="send_email",
        label=gettext_lazy("Send email"),
        form_class=MessageForm,
        run=run_send_email,
        describe=_describe(Channel.EMAIL),
        applies_to=_applies(Channel.EMAIL),
        retry=False,
        order=30,
    )
)
SEND_SMS = register_action(
    ActionType(
        key="send_sms",
        label=gettext_lazy("Send SMS"),
        form_class=SmsForm,
        run=run_send_sms,
        describe=_describe(Channel.SMS),
        applies_to=_applies(Channel.SMS),
        retry=False,
        order=31,
    )
)
