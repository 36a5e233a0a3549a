"""REST routes of telesales call lists beyond their generic CRUD at `/call-lists`.

`POST /call-lists/build` (a list from an entity's list filter or ids, split among reps),
`GET /call-lists/{id}/entries`, `GET /call-lists/{id}/next`,
`POST /call-lists/{id}/entries/{entry_id}/outcome`, `POST …/skip`,
`GET /call-lists/stats`, `GET /call-outcomes`.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.api.generic import MAX_LIMIT, get_record
from guanxi.core import queries, registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.sales import calllist_queries, calllist_services
from guanxi.sales.calllist_choices import SplitMethod
from guanxi.sales.competitor_api import ScopeParams, scope_of
from guanxi.sales.models import CallListEntry, CallOutcome

router = Router(tags=["Call lists"])


class BuildIn(Schema):
    name: str
    entity: str
    filter: str = ""
    ids: list[int] | None = None
    reps: list[int] = []
    method: str = SplitMethod.EVENLY
    counts: list[int] = []
    description: str = ""


class BuildOut(Schema):
    id: int
    name: str
    entity: str
    added: int


class EntryOut(Schema):
    id: int
    call_list: int
    record_id: int
    record_name: str
    assigned_to: int | None
    position: int
    status: str
    outcome: str | None
    callback_at: datetime | None
    attempts: int
    last_called_at: datetime | None
    note: str


class EntryList(Schema):
    count: int
    items: list[EntryOut]


class EntryParams(Schema):
    status: str | None = None
    assigned_to: int | None = None
    limit: int = 50
    offset: int = 0


class OutcomeIn(Schema):
    outcome: str
    note: str = ""
    callback_at: datetime | None = None


class CallOut(Schema):
    id: int
    entry: EntryOut
    outcome: str
    is_connected: bool
    called_at: datetime
    callback_at: datetime | None
    activity: int | None
    next_entry: int | None


class OutcomeCodeOut(Schema):
    id: int
    code: str
    name: str
    name_zh: str
    name_en: str
    is_connected: bool
    closes_entry: bool
    position: int


class OutcomeCodeList(Schema):
    count: int
    items: list[OutcomeCodeOut]


class RepStatsOut(Schema):
    rep: int
    name: str
    calls: int
    connected: int
    connect_rate: float | None
    outcomes: dict[str, int]
    callbacks_scheduled: int
    callbacks_kept: int
    callbacks_missed: int


class StatsOut(Schema):
    count: int
    start: date | None
    end: date | None
    items: list[RepStatsOut]


def _invalid(error: ValidationError) -> ApiError:
    errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    return ApiError(400, _("The data is not valid."), errors)


def _entry_out(entry: CallListEntry, names: dict) -> dict:
    return {
        "id": entry.pk,
        "call_list": entry.call_list_id,
        "record_id": entry.record_id,
        "record_name": names.get(entry.record_id, ""),
        "assigned_to": entry.assigned_to_id,
        "position": entry.position,
        "status": entry.status,
        "outcome": entry.outcome.code if entry.outcome_id else None,
        "callback_at": entry.callback_at,
        "attempts": entry.attempts,
        "last_called_at": entry.last_called_at,
        "note": entry.note,
    }


def _names(call_list, entries) -> dict:
    model = registry.get(call_list.entity).model
    ids = [entry.record_id for entry in entries]
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))


def _call_list(request, pk: int):
    return get_record(registry.get("calllist"), request.auth, pk)


@router.post("/call-lists/build", response={201: BuildOut})
def calllist_build(request, payload: BuildIn):
    """Build a call list from the records of an entity's list filter (or ids), split."""
    user = request.auth
    entity = registry.find(payload.entity)
    if entity is None or payload.entity not in calllist_services.CALLABLE_ENTITIES:
        raise ApiError(
            400,
            _("The data is not valid."),
            {"entity": [_("Call lists can hold leads, contacts or customers.")]},
        )
    require(user, entity.name, Action.VIEW)
    records = queries.record_list(entity, user, QueryDict(payload.filter), action=Action.VIEW)
    if payload.ids is not None:
        records = records.filter(pk__in=payload.ids)
    try:
        with transaction.atomic():
            call_list = calllist_services.calllist_create(
                actor=user,
                name=payload.name,
                entity=entity.name,
                filter_query=payload.filter,
                description=payload.description,
            )
            added = calllist_services.calllist_add_records(
                actor=user,
                call_list=call_list,
                records=records,
                rep_ids=payload.reps,
                method=payload.method,
                counts=payload.counts,
            )
    except ValidationError as error:
        raise _invalid(error) from None
    return Status(
        201, {"id": call_list.pk, "name": call_list.name, "entity": entity.name, "added": added}
    )


@router.get("/call-lists/stats", response=StatsOut)
def calllist_stats(request, params: Query[ScopeParams], call_list: int | None = None):
    """Return per rep the calls made, connected, by outcome and callbacks kept."""
    require(request.auth, "calllist", Action.VIEW)
    scope = scope_of(params)
    chosen = _call_list(request, call_list) if call_list else None
    rows = calllist_queries.call_statistics(request.auth, scope, call_list=chosen)
    items = [
        {
            "rep": row.rep_id,
            "name": row.name,
            "calls": row.calls,
            "connected": row.connected,
            "connect_rate": float(row.connect_rate) if row.connect_rate is not None else None,
            "outcomes": row.outcomes,
            "callbacks_scheduled": row.callbacks_scheduled,
            "callbacks_kept": row.callbacks_kept,
            "callbacks_missed": row.callbacks_missed,
        }
        for row in rows
    ]
    return {"count": len(items), "start": scope.start, "end": scope.end, "items": items}


@router.get("/call-outcomes", response=OutcomeCodeList)
def outcome_list(request):
    """List the active call outcome codes in their order."""
    items = [
        {
            "id": outcome.pk,
            "code": outcome.code,
            "name": outcome.name,
            "name_zh": outcome.name_zh,
            "name_en": outcome.name_en,
            "is_connected": outcome.is_connected,
            "closes_entry": outcome.closes_entry,
            "position": outcome.position,
        }
        for outcome in calllist_queries.outcomes()
    ]
    return {"count": len(items), "items": items}


@router.get("/call-lists/{pk}/entries", response=EntryList)
def entry_list(request, pk: int, params: Query[EntryParams]):
    """List a call list's entries in order (filter by status and rep)."""
    call_list = _call_list(request, pk)
    entries = CallListEntry.objects.filter(call_list=call_list).select_related("outcome")
    if params.status:
        entries = entries.filter(status=params.status)
    if params.assigned_to:
        entries = entries.filter(assigned_to_id=params.assigned_to)
    count, _more = queries.capped_count(entries)
    offset = max(0, params.offset)
    page = list(entries.order_by("position", "id")[offset : offset + min(params.limit, MAX_LIMIT)])
    names = _names(call_list, page)
    return {"count": count, "items": [_entry_out(entry, names) for entry in page]}


@router.get("/call-lists/{pk}/next", response={200: EntryOut, 204: None})
def entry_next(request, pk: int):
    """Return the entry the caller should call now (204 when nothing is left)."""
    call_list = _call_list(request, pk)
    entry = calllist_services.next_entry(user=request.auth, call_list=call_list)
    if entry is None:
        return Status(204, None)
    return _entry_out(entry, _names(call_list, [entry]))


def _caller_entry(request, call_list, entry_id: int) -> CallListEntry:
    try:
        return calllist_services.entry_for_caller(request.auth, call_list, entry_id)
    except CallListEntry.DoesNotExist:
        raise ApiError(404, _("Not found.")) from None
    except PermissionDenied:
        raise ApiError(403, _("You do not have permission to do this.")) from None


@router.post("/call-lists/{pk}/entries/{entry_id}/outcome", response={201: CallOut})
def entry_outcome(request, pk: int, entry_id: int, payload: OutcomeIn):
    """Record a call's outcome: logs the call activity, schedules a callback, moves on."""
    call_list = _call_list(request, pk)
    entry = _caller_entry(request, call_list, entry_id)
    outcome = CallOutcome.objects.filter(code=payload.outcome, is_active=True).first()
    try:
        call = calllist_services.calllist_record_outcome(
            actor=request.auth,
            entry=entry,
            outcome=outcome,
            note=payload.note,
            callback_at=payload.callback_at,
        )
    except ValidationError as error:
        raise _invalid(error) from None
    following = calllist_services.next_entry(user=request.auth, call_list=call_list)
    entry = call.entry
    return Status(
        201,
        {
            "id": call.pk,
            "entry": _entry_out(entry, _names(call_list, [entry])),
            "outcome": outcome.code,
            "is_connected": call.is_connected,
            "called_at": call.called_at,
            "callback_at": call.callback_at,
            "activity": call.activity_id,
            "next_entry": following.pk if following else None,
        },
    )


@router.post("/call-lists/{pk}/entries/{entry_id}/skip", response=EntryOut)
def entry_skip(request, pk: int, entry_id: int):
    call_list = _call_list(request, pk)
    entry = _caller_entry(request, call_list, entry_id)
    entry = calllist_services.calllist_skip(actor=request.auth, entry=entry)
    return _entry_out(entry, _names(call_list, [entry]))
