"""Message endpoints: send email and SMS from a record, the message log, bulk sends, templates.

Sending answers 202 once the messages are queued; the worker delivers them. Attachments
travel in the JSON body, base64-encoded: `{"name", "content_type", "content"}`. A record
outside the caller's data scope answers 404, like a missing one.
"""

from __future__ import annotations

import base64
import binascii
import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from guanxi.activities import batches, links, queries, sending
from guanxi.activities.bulk_messages import batch_start, visible_batch
from guanxi.activities.choices import Channel
from guanxi.activities.models import Activity, Message, MessageBatch, MessageTemplate
from guanxi.activities.template_views import MessageTemplateForm
from guanxi.api.errors import ApiError, form_errors
from guanxi.core import queries as core_queries
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.web.views.bulk import selection

router = Router(tags=["Messages"])
MAX_LIMIT = 500


class AttachmentIn(Schema):
    name: str
    content_type: str = "application/octet-stream"
    content: str = Field(..., description="The file's bytes, base64-encoded.")


class EmailIn(Schema):
    to: list[str] = Field(..., description="Addresses; a contact of the record is matched.")
    cc: list[str] = []
    subject: str = ""
    body: str = ""
    template: int | str | None = Field(
        None, description="Template id or name; without subject and body, its text is sent."
    )
    attachments: list[AttachmentIn] = Field(
        [], description="Up to 10 MB each and 25 MB together, base64-encoded."
    )


class SmsIn(Schema):
    to: list[str]
    body: str = ""
    template: int | str | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class MessageOut(Schema):
    id: int
    channel: str
    direction: str
    status: str
    batch: int | None
    template: int | None
    link_entity: str
    link_id: int | None
    account: int | None
    contact: int | None
    sender: int | None
    from_address: str
    to_address: str
    to_name: str
    cc: list[str]
    subject: str
    body: str
    attempts: int
    next_attempt_at: datetime.datetime | None
    last_error: str
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    message_id: str
    attachments: list[AttachmentOut]


class MessageList(Schema):
    count: int
    count_capped: bool = False
    items: list[MessageOut]


class MessageFilters(Schema):
    channel: str | None = None
    status: str | None = None
    direction: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    batch: int | None = None
    link_entity: str | None = None
    link_id: int | None = None
    account: int | None = None
    contact: int | None = None
    limit: int = 50
    offset: int = 0


def message_out(message: Message) -> dict:
    return {
        "id": message.pk,
        "channel": message.channel,
        "direction": message.direction,
        "status": message.status,
        "batch": message.batch_id,
        "template": message.template_id,
        "link_entity": message.link_entity,
        "link_id": message.link_id,
        "account": message.account_id,
        "contact": message.contact_id,
        "sender": message.sender_id,
        "from_address": message.from_address,
        "to_address": message.to_address,
        "to_name": message.to_name,
        "cc": list(message.cc or []),
        "subject": message.subject,
        "body": message.body,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "last_error": message.last_error,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "delivered_at": message.delivered_at,
        "message_id": message.message_id,
        "attachments": [
            {
                "id": attachment.pk,
                "name": attachment.name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "url": f"/messages/attachments/{attachment.pk}/",
            }
            for attachment in message.attachments.all()
        ],
    }


def invalid(error: ValidationError) -> ApiError:
    return ApiError(400, _("The data is not valid."), error.message_dict)


def _record(user, resource: str, pk: int):
    entity = registry.by_plural(resource)
    if entity is None or links.linkable(entity.name) is None:
        raise ApiError(404, _("Not found."))
    require(user, entity.name, Action.VIEW)
    require(user, "activity", Action.CREATE)
    record = entity.model.objects.visible_to(user, Action.VIEW).filter(pk=pk).first()
    if record is None:
        raise ApiError(404, _("Not found."))
    return record


def _template(value, channel: str) -> MessageTemplate | None:
    if value in (None, ""):
        return None
    template = sending.find_template(value, channel)
    if template is None:
        raise ApiError(400, _("The data is not valid."), {"template": [_("No such template.")]})
    return template


def _decode(attachments: list[AttachmentIn]) -> list[sending.Upload]:
    uploads = []
    for index, attachment in enumerate(attachments):
        try:
            content = base64.b64decode(attachment.content, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                400,
                _("The data is not valid."),
                {f"attachments.{index}.content": [_("Not valid base64.")]},
            ) from None
        uploads.append(sending.Upload(attachment.name[:200], attachment.content_type, content))
    return uploads


def _send(request, resource, pk, channel, payload, cc=(), uploads=()):
    record = _record(request.auth, resource, pk)
    template = _template(payload.template, channel)
    try:
        recipients = sending.resolve_recipients(record, request.auth, channel, payload.to)
        sent = sending.messages_send(
            actor=request.auth,
            channel=channel,
            record=record,
            recipients=recipients,
            subject=getattr(payload, "subject", ""),
            body=payload.body,
            template=template,
            cc=cc,
            uploads=uploads,
        )
    except ValidationError as error:
        raise invalid(error) from None
    return Status(202, {"count": len(sent), "items": [message_out(m) for m in sent]})


@router.post(
    "/{resource}/{int:pk}/email",
    response={202: MessageList},
    operation_id="records_send_email",
)
def send_email(request, resource: str, pk: int, payload: EmailIn):
    """Email the record's contacts (or any address): one message per `to`, the cc on each."""
    uploads = _decode(payload.attachments)
    return _send(request, resource, pk, Channel.EMAIL, payload, payload.cc, uploads)


@router.post(
    "/{resource}/{int:pk}/sms", response={202: MessageList}, operation_id="records_send_sms"
)
def send_sms(request, resource: str, pk: int, payload: SmsIn):
    """Send an SMS to the record's contacts' mobiles (or any mobile number)."""
    return _send(request, resource, pk, Channel.SMS, payload)


@router.post(
    "/activities/{int:pk}/invite",
    response={202: MessageList},
    operation_id="activities_invite",
)
def invite(request, pk: int):
    """Email the meeting's contacts an invitation with an iCalendar REQUEST attached."""
    activity = Activity.objects.visible_to(request.auth, Action.EDIT).filter(pk=pk).first()
    if activity is None:
        raise ApiError(404, _("Not found."))
    try:
        sent = sending.invitation_send(actor=request.auth, activity=activity)
    except ValidationError as error:
        raise invalid(error) from None
    return Status(202, {"count": len(sent), "items": [message_out(m) for m in sent]})


@router.get("/messages", response=MessageList, operation_id="messages_list")
def message_list(request, filters: Query[MessageFilters]):
    """List the messages the caller sent or that belong to records they may see."""
    params = filters.dict()
    queryset = queries.message_list_for(request.auth, params).prefetch_related("attachments")
    limit = max(1, min(filters.limit, MAX_LIMIT))
    offset = max(0, filters.offset)
    count, capped = core_queries.capped_count(queryset)
    items = [message_out(message) for message in queryset[offset : offset + limit]]
    return {"count": count, "count_capped": capped, "items": items}


def _message(user, pk: int) -> Message:
    message = queries.messages_visible_to(user).filter(pk=pk).first()
    if message is None:
        raise ApiError(404, _("Not found."))
    return message


@router.get("/messages/{int:pk}", response=MessageOut, operation_id="messages_get")
def message_get(request, pk: int):
    return message_out(_message(request.auth, pk))


@router.post(
    "/messages/{int:pk}/resend", response={202: MessageOut}, operation_id="messages_resend"
)
def message_resend(request, pk: int):
    """Queue a failed message again as a new message."""
    message = _message(request.auth, pk)
    require(request.auth, "activity", Action.CREATE)
    try:
        again = sending.message_resend(actor=request.auth, message=message)
    except ValidationError as error:
        raise invalid(error) from None
    return Status(202, message_out(again))


class BatchIn(Schema):
    entity: str = Field(..., description="`account` or `contact`.")
    channel: str = Channel.EMAIL
    ids: list[int] = Field([], description="The records to send to, or…")
    filter: str = Field("", description="…a list query string, e.g. `grade=vip&city=上海`.")
    template: int | str | None = None
    subject: str = ""
    body: str = ""


class BatchOut(Schema):
    id: int
    channel: str
    template: int | None
    subject: str
    body: str
    total: int
    sent: int
    failed: int
    skipped: int
    waiting: int
    percent: int
    building: bool
    job: int | None
    created_at: datetime.datetime


def batch_out(batch: MessageBatch) -> dict:
    counts = batches.batch_counts(batch)
    building = batch.job_id is not None and batch.job.status in ("pending", "running")
    return {
        "id": batch.pk,
        "channel": batch.channel,
        "template": batch.template_id,
        "subject": batch.subject,
        "body": batch.body,
        **{key: counts[key] for key in ("total", "sent", "failed", "skipped", "waiting")},
        "percent": counts["percent"],
        "building": building,
        "job": batch.job_id,
        "created_at": batch.created_at,
    }


@router.post("/message-batches", response={202: BatchOut}, operation_id="message_batches_create")
def batch_create(request, payload: BatchIn):
    """Send one email or SMS to each selected customer or contact, throttled, opt-outs skipped.

    Give `ids`, or `filter` (every record the list shows with that query). Large
    selections are prepared by a background job; follow `GET /message-batches/{id}`.
    """
    errors = {}
    if payload.entity not in batches.BULK_ENTITIES:
        errors["entity"] = [_("Choose account or contact.")]
    if payload.channel not in Channel.values:
        errors["channel"] = [_("Choose email or sms.")]
    if not payload.ids and not payload.filter:
        errors["ids"] = [_("Give the ids of the records, or a filter.")]
    if errors:
        raise ApiError(400, _("The data is not valid."), errors)
    entity = registry.get(payload.entity)
    require(request.auth, entity.name, Action.VIEW)
    require(request.auth, "activity", Action.CREATE)
    data = QueryDict(mutable=True)
    data["querystring"] = payload.filter
    data["all_matching"] = "" if payload.ids else "1"
    data.setlist("ids", [str(pk) for pk in payload.ids])
    queryset = selection(entity, request.auth, data, Action.VIEW)
    try:
        batch = batch_start(
            actor=request.auth,
            entity=entity,
            queryset=queryset,
            channel=payload.channel,
            template=_template(payload.template, payload.channel),
            subject=payload.subject,
            body=payload.body,
            selection_params={
                "querystring": payload.filter,
                "all_matching": data["all_matching"],
                "ids": data.getlist("ids"),
            },
        )
    except ValidationError as error:
        raise invalid(error) from None
    batch = MessageBatch.objects.select_related("job").get(pk=batch.pk)
    return Status(202, batch_out(batch))


@router.get("/message-batches/{int:pk}", response=BatchOut, operation_id="message_batches_get")
def batch_get(request, pk: int):
    """Return a bulk send's progress: recipients, sent, failed, not sent, waiting."""
    return batch_out(visible_batch(request.auth, pk))


@router.post(
    "/message-batches/{int:pk}/retry",
    response={202: BatchOut},
    operation_id="message_batches_retry",
)
def batch_retry(request, pk: int):
    """Queue the bulk send's failed messages again."""
    batch = visible_batch(request.auth, pk)
    batches.batch_retry_failed(actor=request.auth, batch=batch)
    return Status(202, batch_out(visible_batch(request.auth, pk)))


class TemplateIn(Schema):
    channel: str | None = None
    name: str | None = None
    language: str | None = None
    subject: str | None = None
    body: str | None = None
    provider_template: str | None = None
    is_active: bool | None = None


class TemplateOut(Schema):
    id: int
    channel: str
    name: str
    language: str
    subject: str
    body: str
    provider_template: str
    is_active: bool


class TemplateList(Schema):
    count: int
    items: list[TemplateOut]


TEMPLATE_FIELDS = ("channel", "name", "language", "subject", "body", "provider_template")


def template_out(template: MessageTemplate) -> dict:
    return {field: getattr(template, field) for field in (*TEMPLATE_FIELDS, "is_active")} | {
        "id": template.pk
    }


def _require_admin(user) -> None:
    if not (user.is_superuser or user.is_staff):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied


@router.get("/message-templates", response=TemplateList, operation_id="message_templates_list")
def template_list(
    request, channel: str | None = None, language: str | None = None, q: str | None = None
):
    """List the message templates (every user may read them to send)."""
    templates = MessageTemplate.objects.order_by("channel", "name", "language")
    if channel:
        templates = templates.filter(channel=channel)
    if language is not None:
        templates = templates.filter(language=language)
    if q:
        templates = templates.filter(Q(name__icontains=q) | Q(subject__icontains=q))
    items = [template_out(template) for template in templates[:MAX_LIMIT]]
    return {"count": len(items), "items": items}


def _template_save(request, template: MessageTemplate | None, payload: TemplateIn):
    _require_admin(request.auth)
    data = {field: getattr(template, field) for field in TEMPLATE_FIELDS} if template else {}
    data["is_active"] = template.is_active if template else True
    data.update(payload.dict(exclude_none=True))
    form = MessageTemplateForm(data, instance=template)
    if not form.is_valid():
        raise ApiError(400, _("The data is not valid."), form_errors(form))
    from guanxi.activities.template_views import template_save

    return template_save(actor=request.auth, form=form)


@router.post(
    "/message-templates", response={201: TemplateOut}, operation_id="message_templates_create"
)
def template_create(request, payload: TemplateIn):
    """Create a template (administrators); unknown placeholders are refused."""
    return Status(201, template_out(_template_save(request, None, payload)))


def _get_template(pk: int) -> MessageTemplate:
    template = MessageTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise ApiError(404, _("Not found."))
    return template


@router.get(
    "/message-templates/{int:pk}", response=TemplateOut, operation_id="message_templates_get"
)
def template_get(request, pk: int):
    return template_out(_get_template(pk))


@router.patch(
    "/message-templates/{int:pk}", response=TemplateOut, operation_id="message_templates_update"
)
def template_update(request, pk: int, payload: TemplateIn):
    return template_out(_template_save(request, _get_template(pk), payload))


@router.delete(
    "/message-templates/{int:pk}", response={204: None}, operation_id="message_templates_delete"
)
def template_delete(request, pk: int):
    _require_admin(request.auth)
    _get_template(pk).delete()
    return Status(204, None)
