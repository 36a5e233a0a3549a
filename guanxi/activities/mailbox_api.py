"""Endpoints of incoming email: `/mailboxes` (password write-only) and unmatched emails.

Anyone may keep their own mailbox; shared ones (`"shared": true`) are for administrators.
`/mailboxes/unmatched` lists the emails of the caller's mailboxes no record matched, to
file on a record (`/link`) or on a new contact (`/create-contact`).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.activities import inbound, mail_fetch, tasks
from guanxi.activities.choices import MailSecurity
from guanxi.activities.mailbox_forms import LinkForm, MailboxForm
from guanxi.activities.models import Mailbox, Message
from guanxi.api.errors import ApiError, form_errors, invalid

router = Router(tags=["Incoming email"])
MAX_LIMIT = 200


class MailboxIn(Schema):
    name: str | None = None
    email: str | None = None
    host: str | None = None
    port: int | None = None
    security: MailSecurity | None = None
    username: str | None = None
    password: str | None = None
    folder: str | None = None
    is_active: bool | None = None
    shared: bool | None = None
    users: list[int] | None = None
    teams: list[int] | None = None


class MailboxOut(Schema):
    id: int
    name: str
    email: str
    host: str
    port: int
    security: str
    username: str
    has_password: bool
    folder: str
    is_active: bool
    shared: bool
    owner: int | None
    users: list[int]
    teams: list[int]
    uid_validity: int | None
    last_uid: int
    last_fetched_at: datetime.datetime | None
    last_error: str
    last_error_at: datetime.datetime | None


class MailboxList(Schema):
    count: int
    items: list[MailboxOut]


class TestOut(Schema):
    ok: bool
    error: str


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class EmailOut(Schema):
    id: int
    mailbox: int | None
    direction: str
    status: str
    from_name: str
    from_address: str
    to_name: str
    to_address: str
    cc: list[str]
    subject: str
    body: str
    body_html: str
    message_id: str
    thread: int | None
    sent_at: datetime.datetime | None
    created_at: datetime.datetime
    link_entity: str
    link_id: int | None
    account: int | None
    contact: int | None
    activity: int | None
    attachments: list[AttachmentOut]


class EmailList(Schema):
    count: int
    items: list[EmailOut]


class LinkIn(Schema):
    entity: str
    id: int


class CreateContactIn(Schema):
    account: int
    name: str | None = None


class CreatedContactOut(Schema):
    contact: int
    email: EmailOut


def _is_admin(user) -> bool:
    return user.is_superuser or user.is_staff


def mailbox_out(mailbox: Mailbox) -> dict:
    return {
        **{
            name: getattr(mailbox, name)
            for name in [
                "id",
                "name",
                "email",
                "host",
                "port",
                "security",
                "username",
                "has_password",
                "folder",
                "is_active",
                "uid_validity",
                "last_uid",
                "last_fetched_at",
                "last_error",
                "last_error_at",
            ]
        },
        "shared": mailbox.is_shared,
        "owner": mailbox.owner_id,
        "users": sorted(user.pk for user in mailbox.users.all()),
        "teams": sorted(team.pk for team in mailbox.teams.all()),
    }


def _values(mailbox: Mailbox) -> dict:
    fields = ["name", "email", "host", "port", "security", "username", "folder", "is_active"]
    values = {name: getattr(mailbox, name) for name in fields}
    if mailbox.pk and mailbox.is_shared:
        values["users"] = [user.pk for user in mailbox.users.all()]
        values["teams"] = [team.pk for team in mailbox.teams.all()]
    return values


def _manageable(request, pk: int) -> Mailbox:
    mailbox = Mailbox.objects.manageable_by(request.auth).filter(pk=pk).first()
    if mailbox is None:
        raise ApiError(404, _("Not found."))
    return mailbox


def _save(request, mailbox: Mailbox | None, payload: MailboxIn, shared: bool) -> Mailbox:
    if shared and not _is_admin(request.auth):
        raise PermissionDenied
    data = _values(mailbox or Mailbox())
    data.update(payload.dict(exclude_unset=True, exclude={"shared"}))
    if data.get("password") is None:
        data["password"] = ""
    form = MailboxForm(data, instance=mailbox, shared=shared)
    if not form.is_valid():
        raise invalid(form)
    return form.save_for(request.auth)


def _manageable_list(user):
    return Mailbox.objects.manageable_by(user).prefetch_related("users", "teams")


@router.get("/mailboxes", response=MailboxList, operation_id="mailboxes_list")
def mailbox_list(request, limit: int = 50, offset: int = 0):
    """List the mailboxes the caller may change: their own; an administrator's all."""
    queryset = _manageable_list(request.auth).order_by("name", "id")
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    items = [mailbox_out(mailbox) for mailbox in queryset[offset : offset + limit]]
    return {"count": queryset.count(), "items": items}


@router.post("/mailboxes", response={201: MailboxOut}, operation_id="mailboxes_create")
def mailbox_create(request, payload: MailboxIn):
    """Add a mailbox: the caller's own, or (administrators) a shared one with `shared`."""
    mailbox = _save(request, None, payload, shared=bool(payload.shared))
    return Status(201, mailbox_out(mailbox))


@router.get("/mailboxes/{int:pk}", response=MailboxOut, operation_id="mailboxes_get")
def mailbox_get(request, pk: int):
    return mailbox_out(_manageable(request, pk))


@router.patch("/mailboxes/{int:pk}", response=MailboxOut, operation_id="mailboxes_update")
def mailbox_update(request, pk: int, payload: MailboxIn):
    """Change a mailbox; a password sent replaces the stored one, none keeps it."""
    mailbox = _manageable(request, pk)
    return mailbox_out(_save(request, mailbox, payload, shared=mailbox.is_shared))


@router.delete("/mailboxes/{int:pk}", response={204: None}, operation_id="mailboxes_delete")
def mailbox_delete(request, pk: int):
    _manageable(request, pk).delete()
    return Status(204, None)


@router.post("/mailboxes/{int:pk}/test", response=TestOut, operation_id="mailboxes_test")
def mailbox_test(request, pk: int):
    """Log in to the server and open the folder; `error` says why that failed."""
    error = mail_fetch.mailbox_test(_manageable(request, pk))
    return {"ok": not error, "error": error}


@router.post(
    "/mailboxes/{int:pk}/fetch", response={202: MailboxOut}, operation_id="mailboxes_fetch"
)
def mailbox_fetch(request, pk: int):
    """Queue a fetch of an active mailbox now; answer 202 once queued."""
    mailbox = _manageable(request, pk)
    if not mailbox.is_active:
        raise ApiError(400, _("The mailbox is not active."), {"is_active": [_("Not active.")]})
    tasks.fetch_mailbox(mailbox.pk)
    return Status(202, mailbox_out(Mailbox.objects.get(pk=pk)))


def email_out(message: Message) -> dict:
    return {
        **{
            name: getattr(message, name)
            for name in [
                "id",
                "direction",
                "status",
                "from_name",
                "from_address",
                "to_name",
                "to_address",
                "cc",
                "subject",
                "body",
                "body_html",
                "message_id",
                "sent_at",
                "created_at",
                "link_entity",
                "link_id",
            ]
        },
        "mailbox": message.mailbox_id,
        "thread": message.thread_id,
        "account": message.account_id,
        "contact": message.contact_id,
        "activity": message.activity_id,
        "attachments": [
            {
                "id": attachment.pk,
                "name": attachment.name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "url": f"/mailboxes/attachments/{attachment.pk}/",
            }
            for attachment in message.attachments.all()
        ],
    }


def _readable(request, pk: int) -> Message:
    message = inbound.readable_message(request.auth, pk)
    if message is None:
        raise ApiError(404, _("Not found."))
    return message


@router.get("/mailboxes/unmatched", response=EmailList, operation_id="mailboxes_unmatched")
def unmatched_list(request, limit: int = 50, offset: int = 0):
    """List the emails of the caller's mailboxes that matched no record, newest first."""
    queryset = inbound.unmatched_for(request.auth).prefetch_related("attachments")
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    items = [email_out(message) for message in queryset[offset : offset + limit]]
    return {"count": queryset.count(), "items": items}


@router.get(
    "/mailboxes/unmatched/{int:pk}", response=EmailOut, operation_id="mailboxes_unmatched_get"
)
def unmatched_get(request, pk: int):
    return email_out(_readable(request, pk))


@router.post("/mailboxes/unmatched/{int:pk}/link", response=EmailOut, operation_id="mailboxes_link")
def unmatched_link(request, pk: int, payload: LinkIn):
    """File an email (and the rest of its thread) on a record the caller may see."""
    message = _readable(request, pk)
    form = LinkForm({"entity": payload.entity, "record": payload.id}, user=request.auth)
    if not form.is_valid():
        errors = form_errors(form)
        if "record" in errors:
            errors["id"] = errors.pop("record")
        raise ApiError(400, _("The data is not valid."), errors)
    inbound.inbound_link(actor=request.auth, message=message, record=form.cleaned_data["instance"])
    return email_out(_readable(request, pk))


@router.post(
    "/mailboxes/unmatched/{int:pk}/create-contact",
    response={201: CreatedContactOut},
    operation_id="mailboxes_create_contact",
)
def unmatched_create_contact(request, pk: int, payload: CreateContactIn):
    """Create a contact at a customer from an email's sender and file the email on it."""
    message = _readable(request, pk)
    form = inbound.contact_form_for(actor=request.auth, message=message, data=payload.dict())
    if not form.is_valid():
        raise invalid(form)
    contact = inbound.inbound_create_contact(actor=request.auth, message=message, form=form)
    return Status(201, {"contact": contact.pk, "email": email_out(_readable(request, pk))})
