"""REST routes generated for every registered entity (PLT-6).

`GET /<plural>` lists with `q`, filters, `ordering`, `limit`, `offset`; `POST` creates;
`GET|PATCH|PUT|DELETE /<plural>/{id}` reads, changes, removes; `POST /<plural>/{id}/share`
shares; `GET /<plural>/{id}/timeline` returns the change history. Every route goes
through the same data scope as the screens: a record outside it answers 404.
"""

from typing import Any

from django.db.models import ProtectedError
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _
from django.utils.translation import override
from ninja import Query, Router, Schema, Status
from pydantic import create_model

from guanxi.api.errors import ApiError, invalid
from guanxi.api.schemas import in_schema, out_schema, record_out
from guanxi.core import audit, customfields, display, queries, services
from guanxi.core.choices import Action, ShareAccess
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


class TimelineEntry(Schema):
    id: int
    at: str
    action: str
    actor: int | None
    actor_name: str
    rule: str = ""
    changes: list[Change]


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
        items = [record_out(entity, record) for record in queryset[offset : offset + limit]]
        return {"count": count, "count_capped": capped, "items": items}

    @router.post("", response={201: Out}, operation_id=f"{entity.plural}_create")
    def create_record(request, payload: In):
        require(request.auth, entity.name, Action.CREATE)
        # Fields left out take the model's defaults, as on the screen's empty form.
        defaults = current_values(entity, entity.model())
        data = form_data(entity, payload.dict(exclude_unset=True), defaults)
        form = entity.form_class(data, user=request.auth)
        if not form.is_valid():
            raise invalid(form)
        try:
            record = services.record_create(actor=request.auth, entity=entity, form=form)
        except OutOfScope:
            raise ApiError(
                403, _("You would not be allowed to see this record after saving it.")
            ) from None
        return Status(201, record_out(entity, record))

    @router.get("/{int:pk}", response=Out, operation_id=f"{entity.plural}_get")
    def get_one(request, pk: int):
        require(request.auth, entity.name, Action.VIEW)
        return record_out(entity, get_record(entity, request.auth, pk))

    def update(request, pk: int, payload, partial: bool):
        require(request.auth, entity.name, Action.EDIT)
        record = get_record(entity, request.auth, pk, Action.EDIT)
        raw = payload.dict(exclude_unset=True)
        version = raw.get("version")
        if version is None:
            header = request.headers.get("If-Match", "").strip('"')
            version = int(header) if header.isdigit() else None
        base = current_values(entity, record) if partial else {}
        form = entity.form_class(form_data(entity, raw, base), instance=record, user=request.auth)
        if not form.is_valid():
            raise invalid(form)
        try:
            record = services.record_update(
                actor=request.auth, entity=entity, form=form, expected_version=version
            )
        except services.StaleRecord as error:
            raise ApiError(409, str(error.message)) from None
        except OutOfScope:
            raise ApiError(
                403, _("You would not be allowed to see this record after saving it.")
            ) from None
        return record_out(entity, record)

    @router.patch("/{int:pk}", response=Out, operation_id=f"{entity.plural}_update")
    def patch_record(request, pk: int, payload: In):
        return update(request, pk, payload, partial=True)

    @router.put("/{int:pk}", response=Out, operation_id=f"{entity.plural}_replace")
    def put_record(request, pk: int, payload: In):
        return update(request, pk, payload, partial=False)

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
        "/{int:pk}/timeline", response=list[TimelineEntry], operation_id=f"{entity.plural}_timeline"
    )
    def timeline(request, pk: int, limit: int = 100):
        require(request.auth, entity.name, Action.VIEW)
        record = get_record(entity, request.auth, pk)
        definitions = {d.key: d for d in customfields.definitions(entity.name)}
        entries = audit.history(entity.name, record.pk)[: max(1, min(limit, MAX_LIMIT))]
        return [
            {
                "id": entry.pk,
                "at": entry.at.isoformat(),
                "action": entry.action,
                "actor": entry.actor_id,
                "actor_name": str(entry.actor) if entry.actor else "",
                "rule": entry.rule,
                "changes": [
                    {
                        "field": key,
                        "label": display.field_label(entity, key, definitions),
                        "before": values[0],
                        "after": values[1],
                        "before_display": display.history_value(
                            entity, key, values[0], definitions
                        ),
                        "after_display": display.history_value(entity, key, values[1], definitions),
                    }
                    for key, values in entry.changes.items()
                ],
            }
            for entry in entries
        ]

    return router
