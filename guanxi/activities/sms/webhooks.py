"""Webhooks the SMS provider pushes to: delivery reports and replies.

No login: the URL carries the secret `SMS_WEBHOOK_TOKEN` (a wrong one answers 403). A body
that is not the provider's documented JSON answers 400 with the reason; nothing is
written then. Success answers what the provider wants to hear: `{"code": 0, ...}`.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from guanxi.activities.sms import aliyun, services

logger = logging.getLogger("guanxi.sms")


@dataclass(frozen=True)
class Provider:
    parse_reports: Callable
    parse_inbound: Callable


PROVIDERS = {"aliyun": Provider(aliyun.parse_reports, aliyun.parse_inbound)}


def _error(detail: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"code": status, "msg": detail, "detail": detail, "errors": {}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _payload(request, provider: str, token: str):
    """Return the provider and the decoded body of a push, or the error response."""
    if provider not in PROVIDERS:
        return None, _error(_("Unknown SMS provider."), 404)
    if not hmac.compare_digest(token.encode(), settings.SMS_WEBHOOK_TOKEN.encode()):
        return None, _error(_("Wrong webhook token."), 403)
    try:
        return PROVIDERS[provider], json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, _error(_("The body is not valid JSON."), 400)


def _ok(**counts) -> JsonResponse:
    return JsonResponse(
        {"code": 0, "msg": "接收成功", **counts}, json_dumps_params={"ensure_ascii": False}
    )


@csrf_exempt
@require_POST
def report(request, provider: str, token: str):
    """Apply a push of delivery reports to the messages sent."""
    hooks, payload = _payload(request, provider, token)
    if hooks is None:
        return payload
    try:
        reports = hooks.parse_reports(payload)
    except aliyun.PayloadError as error:
        return _error(_("Not a delivery report: %(reason)s") % {"reason": error}, 400)
    with transaction.atomic():
        matched, unknown = services.sms_record_reports(provider=provider, reports=reports)
    if unknown:
        logger.info("%s: %d delivery report(s) of unknown messages", provider, unknown)
    return _ok(matched=matched, unknown=unknown)


@csrf_exempt
@require_POST
def inbound(request, provider: str, token: str):
    """Keep a push of replies as inbound messages (and opt-outs)."""
    hooks, payload = _payload(request, provider, token)
    if hooks is None:
        return payload
    try:
        replies = hooks.parse_inbound(payload)
    except aliyun.PayloadError as error:
        return _error(_("Not an inbound SMS: %(reason)s") % {"reason": error}, 400)
    created = 0
    with transaction.atomic():
        for reply in replies:
            _message, new = services.sms_receive(provider=provider, inbound=reply)
            created += int(new)
    return _ok(received=created)
