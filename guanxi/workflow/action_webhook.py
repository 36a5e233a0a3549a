"""The "call webhook" action: POST the record as JSON to another system, signed.

The body holds the event, the entity and the record as the API shows it to the rule's
user. `X-Guanxi-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body under the
action's secret, which is stored encrypted (`core.secretbox`) and never shown again. A
non-2xx answer, a timeout or a refused connection fails the action, and the engine retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

from django import forms
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import ensure_in_scope, require
from guanxi.core.secretbox import SecretUnreadable, seal, unseal
from guanxi.workflow import action_common as common
from guanxi.workflow.actions import (
    ActionContext,
    ActionFailed,
    ActionType,
    ParamsForm,
    register_action,
)

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Guanxi-Signature"
USER_AGENT = "Guanxi-Webhook/1"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: following one would resend the signed body as a GET."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def signature(secret: str, body: bytes) -> str:
    """Return the header value that signs a body with a secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebURLField(forms.URLField):
    """A URL the worker can POST to: http or https only."""

    default_validators = [URLValidator(schemes=["http", "https"])]


class WebhookForm(ParamsForm):
    url = WebURLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=gettext_lazy("Secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "Signs each call (X-Guanxi-Signature). Stored encrypted; leave empty to keep it."
        ),
    )
    secret_sealed = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        secret = cleaned.get("secret") or ""
        if secret:
            if len(secret) < 16:
                self.add_error("secret", _("Use a secret of at least 16 characters."))
            cleaned["secret_sealed"] = seal(secret)
        elif not cleaned.get("secret_sealed"):
            self.add_error("secret", _("Enter the secret the receiver checks signatures with."))
        else:
            try:
                unseal(cleaned["secret_sealed"])
            except SecretUnreadable:
                self.add_error("secret", _("The stored secret cannot be read; enter it again."))
        # The secret itself is never stored in the rule, only its sealed form.
        cleaned["secret"] = ""
        return cleaned


def payload(context: ActionContext, actor) -> dict[str, Any]:
    """Return what a webhook call sends: the event and the record as the API shows it."""
    from guanxi.api.generic import shown

    entity = registry.get(context.entity_name)
    event = context.event or {}
    return {
        "event": event.get("name", ""),
        "entity": entity.name,
        "id": context.record.pk,
        "rule": getattr(context.rule, "pk", None),
        "sent_at": timezone.now().isoformat(),
        "record": shown(entity, actor, [context.record])[0],
    }


def run_call_webhook(context: ActionContext, params: dict[str, Any]) -> str:
    actor = common.require_actor(context)
    with common.acting(context, _("read this record")):
        require(actor, context.entity_name, Action.VIEW)
        ensure_in_scope(actor, context.record, Action.VIEW)
        body = json.dumps(payload(context, actor), cls=DjangoJSONEncoder, ensure_ascii=False)
    try:
        secret = unseal(params.get("secret_sealed") or "")
    except SecretUnreadable:
        raise ActionFailed(_("The webhook's secret cannot be read; enter it again.")) from None
    data = body.encode()
    request = urllib.request.Request(
        params["url"],
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(secret, data),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise ActionFailed(
            _("The webhook answered %(status)s %(reason)s.")
            % {"status": error.code, "reason": error.reason}
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ActionFailed(
            _("The webhook could not be reached: %(reason)s") % {"reason": reason}
        ) from None
    if not 200 <= status < 300:
        raise ActionFailed(_("The webhook answered %(status)s.") % {"status": status})
    return _("Webhook called: %(url)s answered %(status)s.") % {
        "url": params["url"],
        "status": status,
    }


def describe_call_webhook(entity_name: str, params: dict[str, Any]) -> str:
    return _("Call the webhook %(url)s") % {"url": params.get("url", "")}


CALL_WEBHOOK = register_action(
    ActionType(
        key="call_webhook",
        label=gettext_lazy("Call webhook"),
        form_class=WebhookForm,
        run=run_call_webhook,
        describe=describe_call_webhook,
        retry=True,
        order=60,
    )
)
