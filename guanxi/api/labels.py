"""Tags and group members through the API (CUS-4).

`GET /tags` lists the tags, `POST /tags` adds one (any user; tags are also created by
naming them on a record), `PATCH`/`DELETE /tags/{id}` are for administrators. Groups
themselves are a registered entity (`/groups` CRUD); their members are
`GET /groups/{id}/members`, `POST /groups/{id}/members` and
`POST /groups/{id}/members/remove` with `{"ids": [...]}`.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.api.generic import get_record
from guanxi.core import grouping, registry
from guanxi.core.choices import Action, TagColor
from guanxi.core.models import GroupMember, Tag
from guanxi.core.permissions import require

router = Router(tags=["Tags and groups"])

MAX_IDS = 10000


class TagIn(Schema):
    name: str | None = None
    color: str | None = None


class TagOut(Schema):
    id: int
    name: str
    color: str


class MemberIds(Schema):
    ids: list[int]


class MembersChanged(Schema):
    count: int


class Member(Schema):
    id: int
    name: str


class MemberList(Schema):
    count: int
    items: list[Member]


def _tag_out(tag: Tag) -> dict:
    return {"id": tag.pk, "name": tag.name, "color": tag.color}


def _require_admin(user) -> None:
    if not (user.is_superuser or user.is_staff):
        raise ApiError(403, _("You do not have permission to do this."))


def _tag_values(payload: TagIn, tag: Tag | None) -> dict:
    errors: dict[str, list[str]] = {}
    values = {}
    if payload.name is not None or tag is None:
        names = grouping.clean_tag_names([payload.name or ""])
        if not names:
            errors["name"] = [_("Enter the tag's name.")]
        else:
            values["name"] = names[0]
            clash = Tag.objects.filter(name__iexact=names[0])
            if tag is not None:
                clash = clash.exclude(pk=tag.pk)
            if clash.exists():
                errors["name"] = [_("A tag with this name already exists.")]
    if payload.color is not None:
        if payload.color not in TagColor.values:
            errors["color"] = [_("Choose one of the colours offered.")]
        else:
            values["color"] = payload.color
    if errors:
        raise ApiError(400, _("The data is not valid."), errors)
    return values


@router.get("/tags", response=list[TagOut], operation_id="tags_list")
def tag_list(request):
    return [_tag_out(tag) for tag in Tag.objects.order_by("name")]


@router.post("/tags", response={201: TagOut}, operation_id="tags_create")
def tag_create(request, payload: TagIn):
    values = _tag_values(payload, None)
    try:
        with transaction.atomic():
            tag = Tag.objects.create(created_by=request.auth, **values)
    except IntegrityError:
        raise ApiError(
            400, _("The data is not valid."), {"name": [_("A tag with this name already exists.")]}
        ) from None
    return Status(201, _tag_out(tag))


def _tag_or_404(pk: int) -> Tag:
    tag = Tag.objects.filter(pk=pk).first()
    if tag is None:
        raise ApiError(404, _("Not found."))
    return tag


@router.patch("/tags/{int:pk}", response=TagOut, operation_id="tags_update")
def tag_update(request, pk: int, payload: TagIn):
    """Rename or recolour a tag (administrators); every record carrying it follows."""
    _require_admin(request.auth)
    tag = _tag_or_404(pk)
    values = _tag_values(payload, tag)
    Tag.objects.filter(pk=tag.pk).update(**values)
    tag.refresh_from_db()
    return _tag_out(tag)


@router.delete("/tags/{int:pk}", response={204: None}, operation_id="tags_delete")
def tag_delete(request, pk: int):
    """Delete a tag and take it off every record (administrators)."""
    _require_admin(request.auth)
    _tag_or_404(pk).delete()
    return Status(204, None)


def _group(request, pk: int, action: str):
    entity = registry.get("group")
    require(request.auth, entity.name, action)
    return get_record(entity, request.auth, pk, action)


@router.get("/groups/{int:pk}/members", response=MemberList, operation_id="groups_members")
def group_members(request, pk: int, limit: int = 100, offset: int = 0):
    """List the members of a group that the user may see."""
    group = _group(request, pk, Action.VIEW)
    entity = registry.get(group.entity)
    require(request.auth, entity.name, Action.VIEW)
    members = (
        entity.model.objects.visible_to(request.auth, Action.VIEW)
        .filter(pk__in=GroupMember.objects.filter(group=group).values("object_id"))
        .order_by("pk")
    )
    limit = max(1, min(limit, 500))
    page = members[max(0, offset) : max(0, offset) + limit]
    return {
        "count": members.count(),
        "items": [{"id": record.pk, "name": str(record)} for record in page],
    }


def _ids(payload: MemberIds) -> list[int]:
    if not payload.ids or len(payload.ids) > MAX_IDS:
        raise ApiError(
            400,
            _("The data is not valid."),
            {"ids": [_("Send between 1 and %(max)s ids.") % {"max": MAX_IDS}]},
        )
    return payload.ids


@router.post("/groups/{int:pk}/members", response=MembersChanged, operation_id="groups_add")
def group_add(request, pk: int, payload: MemberIds):
    """Add records (that the user may see) to a group; returns how many joined."""
    group = _group(request, pk, Action.EDIT)
    entity = registry.get(group.entity)
    require(request.auth, entity.name, Action.VIEW)
    ids = _ids(payload)
    visible = entity.model.objects.visible_to(request.auth, Action.VIEW).filter(pk__in=ids)
    if visible.count() != len(set(ids)):
        raise ApiError(
            404, _("Not found."), {"ids": [_("Some of these records do not exist or are hidden.")]}
        )
    added = grouping.group_add(actor=request.auth, group=group, queryset=visible)
    return {"count": added}


@router.post(
    "/groups/{int:pk}/members/remove", response=MembersChanged, operation_id="groups_remove"
)
def group_remove(request, pk: int, payload: MemberIds):
    """Take records out of a group; returns how many left it."""
    group = _group(request, pk, Action.EDIT)
    removed = grouping.group_remove(actor=request.auth, group=group, ids=_ids(payload))
    return {"count": removed}
