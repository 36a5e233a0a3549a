"""Activity endpoints beyond the generic CRUD: my day, status changes, attachments.

`/activities` itself (list with filters by linked record, kind, owner and dates; create,
read, change, delete) comes from the registry like every entity's.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status, UploadedFile

from guanxi.activities import queries, services
from guanxi.activities.choices import ActivityStatus, Outcome
from guanxi.activities.models import ActivityAttachment
from guanxi.activities.views import MAX_ATTACHMENT_BYTES
from guanxi.api.errors import ApiError
from guanxi.api.generic import get_record, shown
from guanxi.api.schemas import out_schema
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.core.services import StaleRecord

router = Router(tags=["Activities"])
ENTITY = registry.get("activity")
ActivityOut = out_schema(ENTITY)


class MyDayOut(Schema):
    overdue: list[ActivityOut]
    today: list[ActivityOut]
    upcoming: list[ActivityOut]
    undated: list[ActivityOut]
    done_today: list[ActivityOut]


class StatusIn(Schema):
    outcome: str = ""
    outcome_note: str = ""
    version: int | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    created_at: str
    url: str


@router.get("/activities/my-day", response=MyDayOut, operation_id="activities_my_day")
def my_day(request):
    """The caller's open activities: overdue, today, the next 7 days, undated; done today."""
    require(request.auth, ENTITY.name, Action.VIEW)
    day = queries.my_day(request.auth)
    return {
        part: shown(ENTITY, request.auth, getattr(day, part))
        for part in ("overdue", "today", "upcoming", "undated", "done_today")
    }


def _set_status(request, pk: int, status: str, payload: StatusIn):
    activity = get_record(ENTITY, request.auth, pk, Action.EDIT)
    if payload.outcome and payload.outcome not in Outcome.values:
        raise ApiError(
            400, _("The data is not valid."), {"outcome": [_("Choose a valid outcome.")]}
        )
    try:
        activity = services.activity_set_status(
            actor=request.auth,
            activity=activity,
            status=status,
            outcome=payload.outcome,
            outcome_note=payload.outcome_note[:300],
            expected_version=payload.version,
        )
    except StaleRecord:
        raise ApiError(409, str(StaleRecord.message)) from None
    return shown(ENTITY, request.auth, [get_record(ENTITY, request.auth, activity.pk)])[0]


@router.post(
    "/activities/{int:pk}/complete", response=ActivityOut, operation_id="activities_complete"
)
def complete(request, pk: int, payload: StatusIn):
    """Mark an activity done, with its outcome; a repeating task gets its next occurrence."""
    return _set_status(request, pk, ActivityStatus.DONE, payload)


@router.post("/activities/{int:pk}/cancel", response=ActivityOut, operation_id="activities_cancel")
def cancel(request, pk: int, payload: StatusIn):
    return _set_status(request, pk, ActivityStatus.CANCELLED, payload)


@router.post("/activities/{int:pk}/reopen", response=ActivityOut, operation_id="activities_reopen")
def reopen(request, pk: int, payload: StatusIn):
    return _set_status(request, pk, ActivityStatus.PLANNED, payload)


def _attachment_out(attachment: ActivityAttachment) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "created_at": attachment.created_at.isoformat(),
        "url": f"/activities/attachments/{attachment.pk}/",
    }


@router.get(
    "/activities/{int:pk}/attachments",
    response=list[AttachmentOut],
    operation_id="activities_attachments",
)
def attachments(request, pk: int):
    activity = get_record(ENTITY, request.auth, pk)
    return [_attachment_out(attachment) for attachment in activity.attachments.all()]


@router.post(
    "/activities/{int:pk}/attachments",
    response={201: AttachmentOut},
    operation_id="activities_attach",
)
def attach(request, pk: int, file: File[UploadedFile]):
    """Attach a file (multipart field `file`, up to 25 MB) to an activity."""
    activity = get_record(ENTITY, request.auth, pk, Action.EDIT)
    if file.size > MAX_ATTACHMENT_BYTES:
        raise ApiError(
            400,
            _("The file is too large: attachments may be up to %(size)s MB.")
            % {"size": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            {"file": [_("The file is too large.")]},
        )
    attachment = services.attachment_add(actor=request.auth, activity=activity, upload=file)
    return Status(201, _attachment_out(attachment))
