"""SMS endpoints: the configuration and statistics (admins), a test SMS, segment counting."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.activities.sms import queries
from guanxi.activities.sms.segments import sms_segments
from guanxi.activities.sms.sender import configured_backend
from guanxi.activities.sms.services import sms_send_test
from guanxi.activities.sms.views import TestSmsForm
from guanxi.api.errors import ApiError

router = Router(tags=["SMS"])


class WebhooksOut(Schema):
    report: str = ""
    inbound: str = ""


class StatsOut(Schema):
    days: int
    queued: int
    sent: int
    delivered: int
    failed: int
    skipped: int
    received: int


class SmsSettingsOut(Schema):
    backend: str
    label: str
    url: str
    sign_name: str
    needs_template: bool
    details: dict[str, str]
    webhooks: WebhooksOut
    error: str
    stats: StatsOut


class TestSmsIn(Schema):
    to: str
    text: str = ""
    template: int | None = None


class MessageStatusOut(Schema):
    id: int
    to: str
    status: str
    error: str


class SegmentsIn(Schema):
    text: str
    signature: str | None = None


class SegmentsOut(Schema):
    encoding: str
    length: int
    parts: int
    per_part: int
    remaining: int


def _require_admin(user) -> None:
    if not (user.is_superuser or user.is_staff):
        raise ApiError(403, _("You do not have permission to do this."))


@router.get("/sms/settings", response=SmsSettingsOut, operation_id="sms_settings")
def sms_settings(request):
    """The SMS backend in use (secret masked), its webhook URLs and last week's statistics."""
    _require_admin(request.auth)
    configuration = queries.sms_configuration(request)
    stats = queries.sms_stats()
    return {**configuration, "stats": stats.__dict__}


@router.post("/sms/test", response={202: MessageStatusOut}, operation_id="sms_test")
def sms_test(request, payload: TestSmsIn):
    """Send a test SMS to a number, with a text or an SMS template (its id)."""
    _require_admin(request.auth)
    try:
        needs_template = configured_backend().needs_template
    except ImproperlyConfigured:
        needs_template = False
    form = TestSmsForm(payload.dict(), needs_template=needs_template)
    if not form.is_valid():
        errors = {field: [str(error) for error in errs] for field, errs in form.errors.items()}
        raise ApiError(400, _("The data is not valid."), errors)
    message = sms_send_test(
        actor=request.auth,
        to=form.cleaned_data["to"],
        text=form.cleaned_data["text"],
        template=form.cleaned_data["template"],
    )
    message.refresh_from_db()
    return Status(
        202,
        {
            "id": message.pk,
            "to": message.to_address,
            "status": message.status,
            "error": message.last_error,
        },
    )


@router.post("/sms/segments", response=SegmentsOut, operation_id="sms_segments")
def segments(request, payload: SegmentsIn):
    """Count the characters and SMS parts a text takes (with the configured signature)."""
    signature = payload.signature
    if signature is None:
        try:
            signature = configured_backend().sign_name
        except ImproperlyConfigured:
            signature = ""
    return sms_segments(payload.text, signature).__dict__
