"""Send SMS messages of the channel layer through the backend `SMS_URL` names.

A message with a template that carries the provider's template code goes out as that
code and its parameters: each placeholder of the template's text becomes a parameter
named by its object and field joined with "_" (`{{ contact.name }}` → `contact_name`), so
the template approved at the provider is written with `${contact_name}`. The console and
file backends send the rendered text; a provider that sends only templates refuses a
free-text message permanently.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext as _

from guanxi.activities import placeholders
from guanxi.activities.channels import Delivery, DeliveryError, register_sender
from guanxi.activities.choices import Channel
from guanxi.activities.sms.backends import Outgoing, SmsBackend, backend_from_url
from guanxi.core import registry
from guanxi.core.phones import normalize_phone


def param_name(obj: str, field: str) -> str:
    """Return the provider template parameter of a placeholder: contact.name → contact_name."""
    return f"{obj}_{field}"


def template_params(text: str, context: dict) -> dict[str, str]:
    """Return the provider parameters of a template text, filled from the context."""
    params = {}
    for obj, field in placeholders.PLACEHOLDER.findall(text or ""):
        value = placeholders.render(f"{{{{ {obj}.{field} }}}}", context)
        params[param_name(obj, field)] = value
    return params


def configured_backend() -> SmsBackend:
    """Return the backend of the current `SMS_URL`."""
    return backend_from_url(settings.SMS_URL)


def _linked_record(message):
    if not (message.link_entity and message.link_id):
        return None
    entity = registry.find(message.link_entity)
    if entity is None:
        return None
    return entity.model.objects.filter(pk=message.link_id).first()


def outgoing_for(message, backend: SmsBackend) -> Outgoing:
    """Return what the backend is handed for a message: number, text, template and values."""
    number = normalize_phone(message.to_address)
    if not number:
        raise DeliveryError(
            _("%(number)s is not a valid mobile number.") % {"number": message.to_address},
            permanent=True,
        )
    template = message.template
    code = template.provider_template if template is not None else ""
    text, params = message.body, {}
    if template is not None and (code or not text):
        context = placeholders.context_for(
            record=_linked_record(message), contact=message.contact, user=message.sender
        )
        with translation.override(template.language or settings.LANGUAGE_CODE):
            params = template_params(template.body, context) if code else {}
            text = text or placeholders.render(template.body, context)
    if backend.needs_template and not code:
        raise DeliveryError(
            _(
                "%(provider)s sends only templates it approved: choose an SMS template that "
                "has the provider's template code."
            )
            % {"provider": backend.label},
            permanent=True,
        )
    return Outgoing(
        to=number, text=text, template_code=code, template_params=params, reference=str(message.pk)
    )


class SmsSender:
    """Hand one SMS message to the configured backend."""

    def __init__(self, backend: SmsBackend | None = None):
        self.backend = backend

    def send(self, message) -> Delivery:
        try:
            backend = self.backend or configured_backend()
        except ImproperlyConfigured as error:  # fixed in the settings, a retry may succeed
            raise DeliveryError(str(error)) from error
        provider_id = backend.send(outgoing_for(message, backend))
        return Delivery(provider=backend.name, provider_id=provider_id)


register_sender(Channel.SMS, SmsSender)
