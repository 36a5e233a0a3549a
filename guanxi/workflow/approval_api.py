"""REST API of approvals: `/approval-processes` (admins), `/approvals` and their decisions."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.api.generic import MAX_LIMIT, get_record
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.models import User
from guanxi.core.permissions import require
from guanxi.workflow import approval_queries as queries
from guanxi.workflow import approval_services as services
from guanxi.workflow.approval_models import (
    ApprovalDelegation,
    ApprovalInstance,
    ApprovalProcess,
    ApprovalStatus,
)

router = Router(tags=["approvals"])


class StepIn(Schema):
    name: str = ""
    approver: dict[str, Any]
    mode: str = "any"
    skip_requester: bool = True
    due_hours: int | None = None


class ProcessIn(Schema):
    name: str
    description: str = ""
    entity: str
    trigger: str = "submit"
    conditions: dict[str, Any] = {}
    governed_fields: list[str] = []
    steps: list[StepIn]
    skip_unresolved: bool = False
    stuck_after_days: int = 3
    is_active: bool = True


class ProcessPatch(Schema):
    name: str | None = None
    description: str | None = None
    entity: str | None = None
    trigger: str | None = None
    conditions: dict[str, Any] | None = None
    governed_fields: list[str] | None = None
    steps: list[StepIn] | None = None
    skip_unresolved: bool | None = None
    stuck_after_days: int | None = None
    is_active: bool | None = None


class ProcessOut(Schema):
    id: int
    name: str
    description: str
    entity: str
    trigger: str
    conditions: dict[str, Any]
    governed_fields: list[str]
    steps: list[dict[str, Any]]
    skip_unresolved: bool
    stuck_after_days: int
    is_active: bool
    version: int | None


class ProcessList(Schema):
    count: int
    items: list[ProcessOut]


class TaskOut(Schema):
    id: int
    step_index: int
    assignee: int
    assignee_name: str
    delegated_from: int | None
    decision: str
    comment: str
    decided_at: datetime.datetime | None


class SummaryOut(Schema):
    key: str
    label: str
    value: str


class ApprovalOut(Schema):
    id: int
    process: int
    process_name: str
    version: int
    entity: str
    record: int
    record_repr: str
    requester: int
    requester_name: str
    status: str
    step_index: int
    step_name: str
    step_started_at: datetime.datetime | None
    step_due_at: datetime.datetime | None
    stuck_reason: str
    action: str
    comment: str
    perform_error: str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    tasks: list[TaskOut]


class ApprovalDetailOut(ApprovalOut):
    summary: list[SummaryOut]


class ApprovalList(Schema):
    count: int
    items: list[ApprovalOut]


class ApprovalFilters(Schema):
    status: str | None = None
    mine: str | None = None
    entity: str | None = None
    record: int | None = None
    process: int | None = None
    limit: int = 50
    offset: int = 0


class SubmitIn(Schema):
    entity: str
    record: int
    process: int | None = None
    comment: str = ""


class DecisionIn(Schema):
    comment: str = ""


class DelegateIn(Schema):
    delegate: int
    comment: str = ""


class DelegationIn(Schema):
    delegate: int
    starts_on: datetime.date
    ends_on: datetime.date
    process: int | None = None


class DelegationOut(Schema):
    id: int
    delegate: int
    delegate_name: str
    starts_on: datetime.date
    ends_on: datetime.date
    process: int | None


def _admin(request) -> None:
    if not services.is_admin(request.auth):
        raise PermissionDenied


def _invalid(error: ValidationError) -> ApiError:
    if hasattr(error, "error_dict"):
        errors = {key: [str(m) for m in value] for key, value in error.message_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in error.messages]}
    detail = " ".join(message for messages in errors.values() for message in messages)
    return ApiError(400, detail or _("The data is not valid."), errors)


def _process_out(process: ApprovalProcess) -> dict[str, Any]:
    return {
        "id": process.pk,
        "name": process.name,
        "description": process.description,
        "entity": process.entity,
        "trigger": process.trigger,
        "conditions": process.conditions,
        "governed_fields": process.governed_fields,
        "steps": process.steps,
        "skip_unresolved": process.skip_unresolved,
        "stuck_after_days": process.stuck_after_days,
        "is_active": process.is_active,
        "version": process.current_version.number if process.current_version else None,
    }


def _process_or_404(pk: int) -> ApprovalProcess:
    process = ApprovalProcess.objects.select_related("current_version").filter(pk=pk).first()
    if process is None:
        raise ApiError(404, _("Not found."))
    return process


@router.get("/approval-processes", response=ProcessList, operation_id="approval_processes_list")
def process_list(request, entity: str | None = None):
    """List the approval processes (administrators)."""
    _admin(request)
    processes = ApprovalProcess.objects.select_related("current_version").order_by("entity", "name")
    if entity:
        processes = processes.filter(entity=entity)
    items = [_process_out(process) for process in processes[:MAX_LIMIT]]
    return {"count": len(items), "items": items}


@router.post(
    "/approval-processes", response={201: ProcessOut}, operation_id="approval_processes_create"
)
def process_create(request, payload: ProcessIn):
    """Create a process; it is published as version 1."""
    _admin(request)
    values = payload.dict()
    values["steps"] = [step for step in values["steps"]]
    try:
        process = services.process_save(actor=request.auth, process=None, values=values)
    except ValidationError as error:
        raise _invalid(error) from None
    return Status(201, _process_out(process))


@router.get(
    "/approval-processes/{int:pk}", response=ProcessOut, operation_id="approval_processes_get"
)
def process_get(request, pk: int):
    _admin(request)
    return _process_out(_process_or_404(pk))


@router.patch(
    "/approval-processes/{int:pk}", response=ProcessOut, operation_id="approval_processes_update"
)
def process_update(request, pk: int, payload: ProcessPatch):
    """Change a process; a changed definition is published as a new version."""
    _admin(request)
    process = _process_or_404(pk)
    values = payload.dict(exclude_unset=True)
    try:
        process = services.process_save(actor=request.auth, process=process, values=values)
    except ValidationError as error:
        raise _invalid(error) from None
    return _process_out(process)


@router.delete(
    "/approval-processes/{int:pk}", response={204: None}, operation_id="approval_processes_delete"
)
def process_delete(request, pk: int):
    """Delete a process that never ran (one that ran keeps its trail: deactivate it)."""
    _admin(request)
    process = _process_or_404(pk)
    try:
        process.delete()
    except ProtectedError:
        raise ApiError(
            409, _("The process has run and keeps its trail; deactivate it instead.")
        ) from None
    return Status(204, None)


# --- Instances ------------------------------------------------------------------------------


def _approval_out(instance: ApprovalInstance, *, summary=None) -> dict[str, Any]:
    steps = instance.version.steps
    data = {
        "id": instance.pk,
        "process": instance.process_id,
        "process_name": instance.process.name,
        "version": instance.version.number,
        "entity": instance.entity,
        "record": instance.record_id,
        "record_repr": instance.record_repr,
        "requester": instance.requester_id,
        "requester_name": str(instance.requester),
        "status": instance.status,
        "step_index": instance.step_index,
        "step_name": steps[instance.step_index]["name"] if instance.step_index < len(steps) else "",
        "step_started_at": instance.step_started_at,
        "step_due_at": instance.step_due_at,
        "stuck_reason": instance.stuck_reason,
        "action": queries.action_text(instance),
        "comment": instance.comment,
        "perform_error": instance.perform_error,
        "started_at": instance.started_at,
        "finished_at": instance.finished_at,
        "tasks": [
            {
                "id": task.pk,
                "step_index": task.step_index,
                "assignee": task.assignee_id,
                "assignee_name": str(task.assignee),
                "delegated_from": task.delegated_from_id,
                "decision": task.decision,
                "comment": task.comment,
                "decided_at": task.decided_at,
            }
            for task in instance.tasks.all()
        ],
    }
    if summary is not None:
        data["summary"] = [row.__dict__ for row in summary]
    return data


def _instance_or_404(request, pk: int) -> ApprovalInstance:
    instance = queries.with_tasks(queries.instances()).filter(pk=pk).first()
    if instance is None or not queries.can_see(request.auth, instance):
        raise ApiError(404, _("Not found."))
    return instance


def _detail(request, instance: ApprovalInstance) -> dict[str, Any]:
    instance = _instance_or_404(request, instance.pk)
    record = services.record_of(instance)
    return _approval_out(instance, summary=queries.summary(instance, record, request.auth))


@router.get("/approvals", response=ApprovalList, operation_id="approvals_list")
def approval_list(request, filters: Query[ApprovalFilters]):
    """List approvals you may see; `mine=pending` is your inbox (`requested`, `decided`)."""
    errors = {}
    if filters.status and filters.status not in ApprovalStatus.values:
        errors["status"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(ApprovalStatus.values)}
        ]
    if filters.mine and filters.mine not in ("pending", "requested", "decided"):
        errors["mine"] = [
            _("Choose one of: %(choices)s.") % {"choices": "pending, requested, decided"}
        ]
    if errors:
        raise ApiError(400, _("The data is not valid."), errors)
    queryset = queries.with_tasks(
        queries.instances_for(
            request.auth,
            mine=filters.mine or "",
            status=filters.status or "",
            entity=filters.entity or "",
            record=filters.record,
            process=filters.process,
        )
    ).order_by("-started_at", "-id")
    limit = max(1, min(filters.limit, MAX_LIMIT))
    offset = max(0, filters.offset)
    items = list(queryset[offset : offset + limit])
    return {"count": queryset.count(), "items": [_approval_out(one) for one in items]}


@router.get("/approvals/{int:pk}", response=ApprovalDetailOut, operation_id="approvals_get")
def approval_get(request, pk: int):
    """Return one approval with what is decided (the locked and tested fields) and its trail."""
    instance = _instance_or_404(request, pk)
    return _approval_out(
        instance,
        summary=queries.summary(instance, services.record_of(instance), request.auth),
    )


@router.post("/approvals", response={201: ApprovalDetailOut}, operation_id="approvals_submit")
def approval_submit(request, payload: SubmitIn):
    """Submit a record for approval with a hand-submitted process that applies to it."""
    entity = registry.find(payload.entity)
    if entity is None:
        raise ApiError(400, _("The data is not valid."), {"entity": [_("Unknown entity.")]})
    require(request.auth, entity.name, Action.EDIT)
    record = get_record(entity, request.auth, payload.record, Action.EDIT)
    processes = services.submit_processes(entity.name, record)
    if payload.process is not None:
        process = ApprovalProcess.objects.filter(pk=payload.process).first()
        if process is None:
            raise ApiError(400, _("The data is not valid."), {"process": [_("Not found.")]})
    elif processes:
        process = processes[0]
    else:
        raise ApiError(
            400,
            _("No approval process applies to this record."),
            {"process": [_("No approval process applies to this record.")]},
        )
    try:
        instance = services.approval_submit(
            actor=request.auth,
            entity_name=entity.name,
            record=record,
            process=process,
            comment=payload.comment,
        )
    except ValidationError as error:
        raise _invalid(error) from None
    return Status(201, _detail(request, instance))


def _my_task(request, instance: ApprovalInstance):
    task = queries.open_task_of(request.auth, instance)
    if task is None:
        raise ApiError(403, _("This approval does not wait for your decision."))
    return task


def _decide(request, pk: int, payload: DecisionIn, *, approve: bool):
    instance = _instance_or_404(request, pk)
    task = _my_task(request, instance)
    try:
        services.approval_decide(
            actor=request.auth, task=task, approve=approve, comment=payload.comment
        )
    except ValidationError as error:
        raise _invalid(error) from None
    return _detail(request, instance)


@router.post(
    "/approvals/{int:pk}/approve", response=ApprovalDetailOut, operation_id="approvals_approve"
)
def approval_approve(request, pk: int, payload: DecisionIn):
    """Approve your task at the current step."""
    return _decide(request, pk, payload, approve=True)


@router.post(
    "/approvals/{int:pk}/reject", response=ApprovalDetailOut, operation_id="approvals_reject"
)
def approval_reject(request, pk: int, payload: DecisionIn):
    """Reject, saying why (a comment is required); the approval ends rejected."""
    return _decide(request, pk, payload, approve=False)


@router.post(
    "/approvals/{int:pk}/withdraw", response=ApprovalDetailOut, operation_id="approvals_withdraw"
)
def approval_withdraw(request, pk: int, payload: DecisionIn):
    """Withdraw your own pending request."""
    instance = _instance_or_404(request, pk)
    if instance.requester_id != request.auth.pk:
        raise ApiError(403, _("Only the requester may withdraw it."))
    try:
        services.approval_withdraw(actor=request.auth, instance=instance, comment=payload.comment)
    except ValidationError as error:
        raise _invalid(error) from None
    return _detail(request, instance)


@router.post(
    "/approvals/{int:pk}/delegate", response=ApprovalDetailOut, operation_id="approvals_delegate"
)
def approval_delegate(request, pk: int, payload: DelegateIn):
    """Hand your task at the current step to another user."""
    instance = _instance_or_404(request, pk)
    task = _my_task(request, instance)
    delegate = User.objects.filter(pk=payload.delegate, is_active=True).first()
    if delegate is None:
        raise ApiError(400, _("The data is not valid."), {"delegate": [_("Not found.")]})
    try:
        services.approval_task_delegate(
            actor=request.auth, task=task, delegate=delegate, comment=payload.comment
        )
    except ValidationError as error:
        raise _invalid(error) from None
    return _detail(request, instance)


# --- Standing delegations -------------------------------------------------------------------


def _delegation_out(delegation: ApprovalDelegation) -> dict[str, Any]:
    return {
        "id": delegation.pk,
        "delegate": delegation.delegate_id,
        "delegate_name": str(delegation.delegate),
        "starts_on": delegation.starts_on,
        "ends_on": delegation.ends_on,
        "process": delegation.process_id,
    }


@router.get(
    "/approval-delegations", response=list[DelegationOut], operation_id="approval_delegations_list"
)
def delegation_list(request):
    """List your delegations."""
    delegations = ApprovalDelegation.objects.filter(user=request.auth).select_related("delegate")
    return [_delegation_out(one) for one in delegations[:MAX_LIMIT]]


@router.post(
    "/approval-delegations",
    response={201: DelegationOut},
    operation_id="approval_delegations_create",
)
def delegation_create(request, payload: DelegationIn):
    """Send your new approval tasks to a delegate between two dates."""
    delegate = User.objects.filter(pk=payload.delegate).first()
    process = None
    errors = {}
    if delegate is None:
        errors["delegate"] = [_("Not found.")]
    if payload.process is not None:
        process = ApprovalProcess.objects.filter(pk=payload.process).first()
        if process is None:
            errors["process"] = [_("Not found.")]
    if errors:
        raise ApiError(400, _("The data is not valid."), errors)
    try:
        delegation = services.delegation_create(
            actor=request.auth,
            delegate=delegate,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            process=process,
        )
    except ValidationError as error:
        raise _invalid(error) from None
    return Status(201, _delegation_out(delegation))


@router.delete(
    "/approval-delegations/{int:pk}",
    response={204: None},
    operation_id="approval_delegations_delete",
)
def delegation_delete(request, pk: int):
    """End one of your delegations."""
    delegation = ApprovalDelegation.objects.filter(pk=pk, user=request.auth).first()
    if delegation is None:
        raise ApiError(404, _("Not found."))
    services.delegation_end(actor=request.auth, delegation=delegation)
    return Status(204, None)
