"""REST routes generated for every registered entity (PLT-6).

`GET /<plural>` lists with `q`, filters, `ordering`, `limit`, `offset`; `POST` creates;
`GET|PATCH|PUT|DELETE /<plural>/{id}` reads, changes, removes; `POST /<plural>/{id}/share`
shares; `GET /<plural>/{id}/timeline` returns the timeline (its changes and linked records).
Every route goes through the same data scope as the screens: a record outside it answers 404.
"""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _
from django.utils.translation import override
from ninja import Field, Query, Router, Schema, Status
from pydantic import create_model

from guanxi.api.duplicate_schemas import DuplicateConflict, MergeIn, check_duplicates
from guanxi.api.errors import ApiError, invalid
from guanxi.api.schemas import in_schema, out_schema, record_out
from guanxi.core import customfields, grouping, privacy, queries, services, timeline
from guanxi.core.choices import Action, ShareAccess
from guanxi.core.dedupe import merge as merging
from guanxi.core.locks import RecordLocked
from guanxi.core.models import Team, User
from guanxi.core.permissions import OutOfScope, require
from guanxi.core.registry import Entity
from guanxi.web.views.records import protected_message

MAX_LIMIT = 500


class ShareIn(Schema):
    users: list[int] = []
    teams: list[int] = []
    access: str = ShareAccess.READ


class ShareOut(Schema):
    id: int
    user: int | None
    team: int | None
    access: str


class Change(Schema):
    field: str
    label: str
    before: Any
    after: Any
    before_display: str
    after_display: str


class TimelineItemOut(Schema):
    kind: str
    at: str
    title: str
    body: str
    action: str
    actor: int | None
    actor_name: str
    url: str
    rule: str = ""
    changes: list[Change]


class TimelineOut(Schema):
    items: list[TimelineItemOut]
    next: str | None = Field(
        None, description="Pass as `before` to get the next, older page; null on the last page."
    )


def filter_schema(entity: Entity) -> type[Schema]:
    fields: dict[str, Any] = {
        "q": (str | None, None),
        "ordering": (str | None, None),
        "limit": (int, 50),
        "offset": (int, 0),
    }
    for spec in entity.filters:
        if spec.kind == "date_range":
            fields[f"{spec.key}_from"] = (str | None, None)
            fields[f"{spec.key}_to"] = (str | None, None)
        else:
            fields[spec.key] = (str | None, None)
    return create_model(f"{entity.model.__name__}Filters", __base__=Schema, **fields)


def get_record(entity: Entity, user, pk: int, action: str = Action.VIEW):
    record = (
        entity.model.objects.visible_to(user, action)
        .select_related(*entity.select_related)
        .prefetch_related(*entity.prefetch_related)
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise ApiError(404, _("Not found."))
    return record


def form_data(entity: Entity, payload: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Return form data: the record's current values overlaid with the payload's."""
    data = dict(base)
    custom = payload.pop("custom", None) or {}
    payload.pop("version", None)
    data.update(
        {key: value for key, value in payload.items() if key in entity.form_class._meta.fields}
    )
    if entity.has_tags and payload.get("tags") is not None:
        data["tags"] = payload["tags"]
    definitions = {d.key: d for d in customfields.definitions(entity.name)}
    unknown = [key for key in custom if key not in definitions]
    if unknown:
        raise ApiError(
            400,
            _("The data is not valid."),
            {f"custom.{key}": [_("There is no such custom field.")] for key in unknown},
        )
    for key, value in custom.items():
        data[customfields.FORM_PREFIX + key] = customfields.api_value(definitions[key], value)
    return {key: value for key, value in data.items() if value is not None}


def current_values(entity: Entity, record) -> dict[str, Any]:
    fields = list(entity.form_class._meta.fields)
    data = model_to_dict(record, fields=fields)
    for definition in customfields.definitions(entity.name):
        value = customfields.to_initial(definition, (record.custom or {}).get(definition.key))
        if value is not None:
            data[customfields.FORM_PREFIX + definition.key] = value
    return data


def shown(entity: Entity, user, records: list) -> list[dict[str, Any]]:
    """Return records as this user may see them: tags and groups attached, masked if due."""
    grouping.attach(entity, records, user)
    mask = privacy.masks_personal_data(user)
    return [record_out(entity, record, mask=mask) for record in records]


def save_groups(entity: Entity, user, record, payload: dict[str, Any]) -> None:
    if entity.has_groups and payload.get("groups") is not None:
        try:
            grouping.record_groups_set(
                actor=user, entity=entity, instance=record, group_ids=payload["groups"]
            )
        except grouping.UnknownGroups as error:
            raise ApiError(
                400,
                _("The data is not valid."),
                {
                    "groups": [
                        _("Unknown groups, or groups you may not change: %(ids)s")
                        % {"ids": ", ".join(str(pk) for pk in error.args[0])}
                    ]
                },
            ) from None


def build_router(entity: Entity) -> Router:
    """Return the ninja router of one entity."""
    with override("en"):
        # Tags name the resource in the OpenAPI document, the same whatever the language.
        router = Router(tags=[str(entity.verbose_name_plural).capitalize()])
    Out = out_schema(entity)
    In = in_schema(entity)
    Filters = filter_schema(entity)

    class ListOut(Schema):
        count: int
        count_capped: bool = False
        items: list[Out]

    ListOut.__name__ = f"{entity.model.__name__}List"

    @router.get("", response=ListOut, operation_id=f"{entity.plural}_list")
    def list_records(request, filters: Query[Filters]):
        require(request.auth, entity.name, Action.VIEW)
        queryset = queries.record_list(entity, request.auth, request.GET)
        limit = max(1, min(filters.limit, MAX_LIMIT))
        offset = max(0, filters.offset)
        count, capped = queries.capped_count(queryset)
        items = shown(entity, request.auth, list(queryset[offset : offset + limit]))
        return {"count": count, "count_capped": capped, "items": items}

    @router.post(
        "", response={201: Out, 409: DuplicateConflict}, operation_id=f"{entity.plural}_create"
    )
    def create_record(request, payload: In, allow_duplicate: bool = False):
        require(request.auth, entity.name, Action.CREATE)
        # Fields left out take the model's defaults, as on the screen's empty form, where
        # the owner is the user creating the record.
        defaults = current_values(entity, entity.model())
        if "owner" in entity.form_class._meta.fields:
            defaults["owner"] = request.auth.pk
        raw = payload.dict(exclude_unset=True)
        data = form_data(entity, dict(raw), defaults)
        form = entity.form_class(data, user=request.auth)
        if not form.is_valid():
            raise invalid(form)
        check_duplicates(request, entity, form, allow_duplicate)
        try:
            with transaction.atomic():
                record = services.record_create(actor=request.auth, entity=entity, form=form)
                save_groups(entity, request.auth, record, raw)
        except OutOfScope:
            raise ApiError(
                403, _("You would not be allowed to see this record after saving it.")
            ) from None
        return Status(201, shown(entity, request.auth, [record])[0])

    @router.get("/{int:pk}", response=Out, operation_id=f"{entity.plural}_get")
    def get_one(request, pk: int):
        require(request.auth, entity.name, Action.VIEW)
        return shown(entity, request.auth, [get_record(entity, request.auth, pk)])[0]

    def update(request, pk: int, payload, partial: bool, allow_duplicate: bool):
        require(request.auth, entity.name, Action.EDIT)
        record = get_record(entity, request.auth, pk, Action.EDIT)
        raw = payload.dict(exclude_unset=True)
        version = raw.get("version")
        if version is None:
            header = request.headers.get("If-Match", "").strip('"')
            version = int(header) if header.isdigit() else None
        base = current_values(entity, record) if partial else {}
        form = entity.form_class(
            form_data(entity, dict(raw), base), instance=record, user=request.auth
        )
        if not form.is_valid():
            raise invalid(form)
        check_duplicates(request, entity, form, allow_duplicate, record)
        try:
            with transaction.atomic():
                record = services.record_update(
                    actor=request.auth, entity=entity, form=form, expected_version=version
                )
                save_groups(entity, request.auth, record, raw)
        except services.StaleRecord as error:
            raise ApiError(409, str(error.message)) from None
        except RecordLocked as error:
            errors = {key: [str(m) for m in value] for key, value in error.message_dict.items()}
            detail = " ".join(message for value in errors.values() for message in value)
            raise ApiError(409, detail, errors) from None
        except OutOfScope:
            raise ApiError(
                403, _("You would not be allowed to see this record after saving it.")
            ) from None
        return shown(entity, request.auth, [record])[0]

    @router.patch(
        "/{int:pk}",
        response={200: Out, 409: DuplicateConflict},
        operation_id=f"{entity.plural}_update",
    )
    def patch_record(request, pk: int, payload: In, allow_duplicate: bool = False):
        return update(request, pk, payload, partial=True, allow_duplicate=allow_duplicate)

    @router.put(
        "/{int:pk}",
        response={200: Out, 409: DuplicateConflict},
        operation_id=f"{entity.plural}_replace",
    )
    def put_record(request, pk: int, payload: In, allow_duplicate: bool = False):
        return update(request, pk, payload, partial=False, allow_duplicate=allow_duplicate)

    @router.delete("/{int:pk}", response={204: None}, operation_id=f"{entity.plural}_delete")
    def delete_record(request, pk: int):
        require(request.auth, entity.name, Action.DELETE)
        record = get_record(entity, request.auth, pk, Action.DELETE)
        try:
            services.record_delete(actor=request.auth, entity=entity, instance=record)
        except ProtectedError as error:
            raise ApiError(409, protected_message(error)) from None
        return Status(204, None)

    @router.post(
        "/{int:pk}/share", response={200: list[ShareOut]}, operation_id=f"{entity.plural}_share"
    )
    def share_record(request, pk: int, payload: ShareIn):
        require(request.auth, entity.name, Action.EDIT)
        record = get_record(entity, request.auth, pk, Action.EDIT)
        errors: dict[str, list[str]] = {}
        if payload.access not in ShareAccess.values:
            errors["access"] = [_("Choose read or edit.")]
        users = list(User.objects.filter(pk__in=payload.users, is_active=True))
        teams = list(Team.objects.filter(pk__in=payload.teams))
        if len(users) != len(set(payload.users)):
            errors["users"] = [_("Unknown or inactive user.")]
        if len(teams) != len(set(payload.teams)):
            errors["teams"] = [_("Unknown team.")]
        if not payload.users and not payload.teams:
            errors["__all__"] = [_("Choose at least one user or team.")]
        if errors:
            raise ApiError(400, _("The data is not valid."), errors)
        shares = services.record_share(
            actor=request.auth,
            entity=entity,
            instance=record,
            users=users,
            teams=teams,
            access=payload.access,
        )
        return [
            {"id": s.pk, "user": s.user_id, "team": s.team_id, "access": s.access} for s in shares
        ]

    @router.get(
        "/{int:pk}/timeline", response=TimelineOut, operation_id=f"{entity.plural}_timeline"
    )
    def timeline_page(
        request,
        pk: int,
        kind: list[str] = Query(None),  # noqa: B008 - ninja's way to declare a list param
        before: datetime.datetime | None = None,
        limit: int = 25,
    ):
        """Return a page of the record's timeline, newest first; `next` continues it."""
        require(request.auth, entity.name, Action.VIEW)
        record = get_record(entity, request.auth, pk)
        items, next_before = timeline.timeline(
            entity.name, record, request.auth, kinds=kind or None, before=before, limit=limit
        )
        return {
            "items": [
                {
                    "kind": item.kind,
                    "at": item.at.isoformat(),
                    "title": str(item.title),
                    "body": item.body,
                    "action": item.action,
                    "actor": item.actor_id,
                    "actor_name": item.actor_name,
                    "url": item.url,
                    "rule": item.rule,
                    "changes": item.changes,
                }
                for item in items
            ],
            "next": next_before.isoformat() if next_before else None,
        }

    if entity.duplicates is not None:
        add_merge_route(router, entity, Out)
    return router


def add_merge_route(router: Router, entity: Entity, Out) -> None:
    """Add `POST /<plural>/{id}/merge`: the duplicates merge into the record of the path."""

    class MergeOut(Schema):
        merge: int
        merged: list[int]
        moved: dict[str, int]
        record: Out

    MergeOut.__name__ = f"{entity.model.__name__}MergeOut"

    @router.post("/{int:pk}/merge", response=MergeOut, operation_id=f"{entity.plural}_merge")
    def merge_records(request, pk: int, payload: MergeIn):
        require(request.auth, entity.name, Action.EDIT)
        require(request.auth, entity.name, Action.DELETE)
        survivor = get_record(entity, request.auth, pk, Action.EDIT)
        duplicates = list(
            entity.model.objects.visible_to(request.auth, Action.DELETE)
            .filter(pk__in=payload.duplicates)
            .exclude(pk=pk)
        )
        if len(duplicates) != len(set(payload.duplicates) - {pk}):
            raise ApiError(404, _("Not found."))
        versions = {pk: payload.version} if payload.version is not None else None
        try:
            record = merging.records_merge(
                actor=request.auth,
                entity=entity,
                survivor=survivor,
                duplicates=duplicates,
                field_choices=payload.fields,
                expected_versions=versions,
            )
        except merging.MergeRefused as refused:
            raise ApiError(refused.status, str(refused.message)) from None
        except OutOfScope:
            raise ApiError(404, _("Not found.")) from None
        except ProtectedError as error:
            raise ApiError(409, protected_message(error)) from None
        return {
            "merge": record.pk,
            "merged": record.duplicate_ids,
            "moved": record.moved,
            "record": record_out(entity, get_record(entity, request.auth, pk)),
        }
