"""Writes of approvals: publish processes, start, decide, withdraw, delegate, cancel.

Every service takes the acting user as keyword `actor`, runs in one transaction, writes
the trail into the record's change history and tells the people concerned.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit, events, registry
from guanxi.core.choices import AuditAction
from guanxi.core.models import User
from guanxi.workflow import approval_approvers, approval_notify, conditions
from guanxi.workflow.approval_definitions import definition_validate
from guanxi.workflow.approval_gates import SUBMIT, get_gate, performing
from guanxi.workflow.approval_models import (
    ApprovalDelegation,
    ApprovalInstance,
    ApprovalProcess,
    ApprovalProcessVersion,
    ApprovalStatus,
    ApprovalTask,
    TaskDecision,
)
from guanxi.workflow.calendar import business_add, working_time_for

DEFINITION_KEYS = ("conditions", "governed_fields", "steps", "skip_unresolved")


class ApprovalError(ValidationError):
    """Refuse an approval action with a message the user reads as it is."""


def is_admin(user: User) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.is_staff))


# --- Process definitions ------------------------------------------------------------------


@transaction.atomic
def process_save(
    *, actor: User, process: ApprovalProcess | None, values: dict[str, Any]
) -> ApprovalProcess:
    """Create or change a process; a changed definition is published as a new version.

    `values` holds name, description, entity, trigger, is_active, stuck_after_days and the
    definition (conditions, governed_fields, steps, skip_unresolved). Raise
    ValidationError with the errors by field, writing nothing. Administrators only.
    """
    if not is_admin(actor):
        raise PermissionDenied
    return process_write(actor=actor, process=process, values=values)


@transaction.atomic
def process_write(
    *, actor: User, process: ApprovalProcess | None, values: dict[str, Any]
) -> ApprovalProcess:
    """Do what `process_save` does without the permission check (demo data, set-up scripts)."""
    entity = values.get("entity") or (process.entity if process else "")
    trigger = values.get("trigger") or (process.trigger if process else SUBMIT)
    merged = {key: getattr(process, key) for key in DEFINITION_KEYS} if process else {}
    merged.update({key: values[key] for key in DEFINITION_KEYS if key in values})
    definition, errors = definition_validate(entity, trigger, merged)
    name = str(values.get("name", process.name if process else "") or "").strip()
    if not name:
        errors["name"] = [_("Enter a name.")]
    stuck = values.get("stuck_after_days", process.stuck_after_days if process else 3)
    if isinstance(stuck, bool) or not isinstance(stuck, int) or not 1 <= stuck <= 365:
        errors["stuck_after_days"] = [_("Enter a number of days from 1 to 365.")]
    if process is not None and entity != process.entity and process.instances.exists():
        errors["entity"] = [_("The entity of a process that has run cannot change.")]
    if errors:
        raise ValidationError(errors)
    if process is None:
        process = ApprovalProcess(created_by=actor)
    process.name = name[:120]
    process.description = str(values.get("description", process.description) or "")
    process.entity = entity
    process.trigger = trigger
    process.is_active = bool(values.get("is_active", process.is_active))
    process.stuck_after_days = stuck
    for key in DEFINITION_KEYS:
        setattr(process, key, definition[key])
    process.updated_by = actor
    process.save()
    current = process.current_version
    if current is None or current.definition != definition:
        number = (current.number if current else 0) + 1
        version = ApprovalProcessVersion.objects.create(
            process=process, number=number, definition=definition, created_by=actor
        )
        ApprovalProcess.objects.filter(pk=process.pk).update(current_version=version)
        process.current_version = version
    return process


def applicable_process(entity_name: str, trigger: str, record) -> ApprovalProcess | None:
    """Return the first active process of that trigger whose conditions the record meets."""
    candidates = ApprovalProcess.objects.filter(
        entity=entity_name, trigger=trigger, is_active=True, current_version__isnull=False
    ).select_related("current_version")
    for process in candidates.order_by("pk"):
        tree = process.current_version.definition.get("conditions")
        if conditions.matches(entity_name, tree, record):
            return process
    return None


def submit_processes(entity_name: str, record) -> list[ApprovalProcess]:
    """Return the hand-submitted processes that apply to the record now."""
    candidates = ApprovalProcess.objects.filter(
        entity=entity_name, trigger=SUBMIT, is_active=True, current_version__isnull=False
    ).select_related("current_version")
    return [
        process
        for process in candidates.order_by("name")
        if conditions.matches(entity_name, process.current_version.definition["conditions"], record)
    ]


def pending_instances(entity_name: str, record_id: int) -> list[ApprovalInstance]:
    return list(
        ApprovalInstance.objects.filter(
            entity=entity_name, record_id=record_id, status=ApprovalStatus.PENDING
        ).select_related("process", "version")
    )


# --- Starting -----------------------------------------------------------------------------


@transaction.atomic
def approval_submit(
    *, actor: User, entity_name: str, record, process: ApprovalProcess, comment: str = ""
) -> ApprovalInstance:
    """Submit a record for approval by hand, with a process that applies to it."""
    if process.trigger != SUBMIT or process.entity != entity_name or not process.is_active:
        raise ApprovalError(_("This approval process does not apply to this record."))
    if process.current_version is None or not conditions.matches(
        entity_name, process.current_version.definition["conditions"], record
    ):
        raise ApprovalError(_("The record does not meet this process's conditions."))
    return approval_start(actor=actor, process=process, record=record, comment=comment)


@transaction.atomic
def approval_start(
    *,
    actor: User,
    process: ApprovalProcess,
    record,
    gate: str = "",
    params: dict[str, Any] | None = None,
    comment: str = "",
    now: datetime.datetime | None = None,
) -> ApprovalInstance:
    """Start an instance of the process's current version on a record, as `actor`."""
    now = now or timezone.now()
    entity_name = process.entity
    if any(one.process_id == process.pk for one in pending_instances(entity_name, record.pk)):
        raise ApprovalError(_("This record is already waiting for this approval."))
    version = process.current_version
    steps = version.steps
    plan = [step_approvers(step, actor) for step in steps]
    for index, approvers in enumerate(plan):
        if approvers is None and not version.definition.get("skip_unresolved"):
            raise ApprovalError(
                _("Nobody can approve step %(n)s “%(step)s”: %(rule)s not found.")
                % {
                    "n": index + 1,
                    "step": steps[index]["name"],
                    "rule": approval_approvers.describe(steps[index]["approver"]),
                }
            )
    instance = ApprovalInstance.objects.create(
        process=process,
        version=version,
        entity=entity_name,
        record_id=record.pk,
        record_repr=str(record)[:200],
        requester=actor,
        gate=gate,
        params=params or {},
        comment=(comment or "")[:2000],
    )
    _trail(actor, instance, record, ApprovalStatus.PENDING, _("Submitted"), comment, before=None)
    _enter_step(instance, 0, now, record=record)
    events.emit(
        "approval.started",
        entity=entity_name,
        id=record.pk,
        approval_id=instance.pk,
        process_id=process.pk,
        actor_id=actor.pk,
    )
    record.pending_approval = instance
    return instance


def step_approvers(step: dict[str, Any], requester: User) -> list[User] | None:
    """Return who decides a step for a requester: None when the rule finds nobody, an
    empty list when the only approver is the requester and the step skips them."""
    approvers = approval_approvers.resolve(step["approver"], requester)
    if not approvers:
        return None
    if step.get("skip_requester"):
        approvers = [user for user in approvers if user.pk != requester.pk]
    return approvers


def active_delegation(user: User, process_id: int, day: datetime.date):
    return (
        ApprovalDelegation.objects.filter(
            user=user, starts_on__lte=day, ends_on__gte=day, delegate__is_active=True
        )
        .filter(models.Q(process__isnull=True) | models.Q(process_id=process_id))
        .select_related("delegate")
        .order_by("-process_id", "-id")
        .first()
    )


def _enter_step(
    instance: ApprovalInstance, index: int, now: datetime.datetime, *, record=None
) -> None:
    """Open step `index` (skipping steps nobody is left for), or finish approved."""
    steps = instance.version.steps
    while index < len(steps):
        step = steps[index]
        approvers = step_approvers(step, instance.requester)
        if approvers:
            break
        if approvers is None and not instance.version.definition.get("skip_unresolved"):
            instance.step_index = index
            instance.step_started_at = now
            instance.stuck_reason = _("Nobody can approve this step: %(rule)s not found.") % {
                "rule": approval_approvers.describe(step["approver"])
            }
            instance.step_due_at = None
            instance.save(
                update_fields=["step_index", "step_started_at", "step_due_at", "stuck_reason"]
            )
            return
        index += 1
    if index >= len(steps):
        _finish(instance, ApprovalStatus.APPROVED, now)
        return
    instance.step_index = index
    instance.step_started_at = now
    instance.stuck_reason = ""
    due_hours = step.get("due_hours")
    # Due times count the business hours of the configured default calendar.
    instance.step_due_at = (
        business_add(now, minutes=due_hours * 60, working=working_time_for()) if due_hours else None
    )
    instance.reminded_at = None
    instance.save(
        update_fields=[
            "step_index",
            "step_started_at",
            "step_due_at",
            "stuck_reason",
            "reminded_at",
        ]
    )
    day = timezone.localdate(now)
    for approver in approvers:
        delegation = active_delegation(approver, instance.process_id, day)
        task = ApprovalTask.objects.create(
            instance=instance,
            step_index=index,
            assignee=delegation.delegate if delegation else approver,
            delegated_from=approver if delegation else None,
        )
        approval_notify.task_created(task)


def _finish(instance: ApprovalInstance, status: str, now: datetime.datetime) -> None:
    instance.status = status
    instance.finished_at = now
    instance.step_due_at = None
    instance.save(update_fields=["status", "finished_at", "step_due_at"])
    instance.tasks.filter(decision=TaskDecision.PENDING).update(
        decision=TaskDecision.CLOSED, decided_at=now
    )
    if status == ApprovalStatus.APPROVED:
        _perform(instance)
    approval_notify.finished(instance)
    events.emit(
        f"approval.{status}",
        entity=instance.entity,
        id=instance.record_id,
        approval_id=instance.pk,
        process_id=instance.process_id,
        requester_id=instance.requester_id,
    )


def _perform(instance: ApprovalInstance) -> None:
    """Do the gated action as the requester; a failure is kept on the instance."""
    gate = get_gate(instance.gate) if instance.gate else None
    if gate is None:
        return
    record = record_of(instance)
    if record is None:
        instance.perform_error = _("The record no longer exists.")
    else:
        try:
            with transaction.atomic(), performing(gate.key, record.pk):
                gate.perform(actor=instance.requester, record=record, params=instance.params)
        except ValidationError as error:
            instance.perform_error = " ".join(str(m) for m in error.messages)
        except PermissionDenied:
            instance.perform_error = _("The requester is no longer allowed to do this.")
        except Exception as error:
            instance.perform_error = str(error) or error.__class__.__name__
    if instance.perform_error:
        instance.save(update_fields=["perform_error"])


def record_of(instance: ApprovalInstance):
    entity = registry.find(instance.entity)
    if entity is None:
        return None
    return entity.model._default_manager.filter(pk=instance.record_id).first()


# --- Decisions ----------------------------------------------------------------------------


def _locked_instance(instance_id: int) -> ApprovalInstance:
    return (
        ApprovalInstance.objects.select_for_update()
        .select_related("process", "version", "requester")
        .get(pk=instance_id)
    )


def _open_task(actor: User, task_id: int) -> tuple[ApprovalTask, ApprovalInstance]:
    task = ApprovalTask.objects.select_for_update().get(pk=task_id)
    if task.assignee_id != actor.pk:
        raise PermissionDenied
    instance = _locked_instance(task.instance_id)
    if (
        task.decision != TaskDecision.PENDING
        or instance.status != ApprovalStatus.PENDING
        or task.step_index != instance.step_index
    ):
        raise ApprovalError(_("This approval was already decided."))
    return task, instance


@transaction.atomic
def approval_decide(
    *,
    actor: User,
    task: ApprovalTask,
    approve: bool,
    comment: str = "",
    now: datetime.datetime | None = None,
) -> ApprovalInstance:
    """Approve or reject one's task; a rejection needs a comment and ends the instance."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ApprovalError({"comment": [_("Say why you reject it.")]})
    task, instance = _open_task(actor, task.pk)
    task.decision = TaskDecision.APPROVED if approve else TaskDecision.REJECTED
    task.comment = comment[:2000]
    task.decided_at = now
    task.save(update_fields=["decision", "comment", "decided_at"])
    record = record_of(instance)
    step = instance.version.steps[instance.step_index]
    label = _("Approved") if approve else _("Rejected")
    note = f"{step['name']} · {label}"
    if not approve:
        _trail(actor, instance, record, ApprovalStatus.REJECTED, note, comment)
        _finish(instance, ApprovalStatus.REJECTED, now)
        return instance
    waiting = instance.tasks.filter(step_index=instance.step_index, decision=TaskDecision.PENDING)
    if step.get("mode") == "all" and waiting.exists():
        _trail(actor, instance, record, ApprovalStatus.PENDING, note, comment)
        return instance
    waiting.update(decision=TaskDecision.CLOSED, decided_at=now)
    last = not _decisions_left(instance, instance.step_index + 1)
    _trail(
        actor,
        instance,
        record,
        ApprovalStatus.APPROVED if last else ApprovalStatus.PENDING,
        note,
        comment,
    )
    _enter_step(instance, instance.step_index + 1, now, record=record)
    return instance


def _decisions_left(instance: ApprovalInstance, index: int) -> bool:
    """Tell whether a step from `index` on will still wait for someone (or stay stuck)."""
    skip_unresolved = instance.version.definition.get("skip_unresolved")
    for step in instance.version.steps[index:]:
        approvers = step_approvers(step, instance.requester)
        if approvers or (approvers is None and not skip_unresolved):
            return True
    return False


@transaction.atomic
def approval_withdraw(
    *, actor: User, instance: ApprovalInstance, comment: str = ""
) -> ApprovalInstance:
    """Take back one's own pending request; its open tasks close."""
    instance = _locked_instance(instance.pk)
    if instance.requester_id != actor.pk:
        raise PermissionDenied
    if instance.status != ApprovalStatus.PENDING:
        raise ApprovalError(_("Only a pending approval can be withdrawn."))
    waiting = list(instance.tasks.filter(decision=TaskDecision.PENDING).select_related("assignee"))
    _trail(actor, instance, record_of(instance), ApprovalStatus.WITHDRAWN, _("Withdrawn"), comment)
    _finish(instance, ApprovalStatus.WITHDRAWN, timezone.now())
    for task in waiting:
        approval_notify.withdrawn(task)
    return instance


@transaction.atomic
def approval_cancel(
    *, actor: User, instance: ApprovalInstance, comment: str = ""
) -> ApprovalInstance:
    """Stop a pending instance (administrators, e.g. one stuck without an approver)."""
    if not is_admin(actor):
        raise PermissionDenied
    instance = _locked_instance(instance.pk)
    if instance.status != ApprovalStatus.PENDING:
        raise ApprovalError(_("Only a pending approval can be cancelled."))
    _trail(actor, instance, record_of(instance), ApprovalStatus.CANCELLED, _("Cancelled"), comment)
    _finish(instance, ApprovalStatus.CANCELLED, timezone.now())
    return instance


@transaction.atomic
def approval_task_delegate(
    *, actor: User, task: ApprovalTask, delegate: User, comment: str = ""
) -> ApprovalTask:
    """Hand one's pending task to someone else; the trail keeps on whose behalf they decide."""
    task, instance = _open_task(actor, task.pk)
    if not delegate.is_active or delegate.pk == actor.pk:
        raise ApprovalError({"delegate": [_("Choose another active user.")]})
    if instance.tasks.filter(
        step_index=task.step_index, assignee=delegate, decision=TaskDecision.PENDING
    ).exists():
        raise ApprovalError(
            {"delegate": [_("%(user)s already decides at this step.") % {"user": delegate}]}
        )
    now = timezone.now()
    task.decision = TaskDecision.DELEGATED
    task.comment = (comment or "")[:2000]
    task.decided_at = now
    task.save(update_fields=["decision", "comment", "decided_at"])
    new = ApprovalTask.objects.create(
        instance=instance,
        step_index=task.step_index,
        assignee=delegate,
        delegated_from=task.delegated_from or actor,
    )
    note = _("Delegated to %(user)s") % {"user": delegate}
    _trail(actor, instance, record_of(instance), ApprovalStatus.PENDING, note, comment)
    approval_notify.task_created(new)
    return new


# --- Standing delegations -----------------------------------------------------------------


@transaction.atomic
def delegation_create(
    *,
    actor: User,
    delegate: User,
    starts_on: datetime.date,
    ends_on: datetime.date,
    process: ApprovalProcess | None = None,
) -> ApprovalDelegation:
    """Send the actor's new approval tasks to a delegate between two dates (inclusive)."""
    errors: dict[str, list[str]] = {}
    if delegate.pk == actor.pk or not delegate.is_active:
        errors["delegate"] = [_("Choose another active user.")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("The end cannot be before the start.")]
    if errors:
        raise ValidationError(errors)
    return ApprovalDelegation.objects.create(
        user=actor, delegate=delegate, starts_on=starts_on, ends_on=ends_on, process=process
    )


@transaction.atomic
def delegation_end(*, actor: User, delegation: ApprovalDelegation) -> None:
    """End one of the actor's delegations now (a future one is removed)."""
    if delegation.user_id != actor.pk and not is_admin(actor):
        raise PermissionDenied
    today = timezone.localdate()
    if delegation.starts_on >= today:
        delegation.delete()
        return
    delegation.ends_on = today - datetime.timedelta(days=1)
    delegation.save(update_fields=["ends_on"])


# --- The trail ------------------------------------------------------------------------------


def _trail(actor, instance, record, status, note, comment, *, before=ApprovalStatus.PENDING):
    """Write one decision into the record's change history."""
    if record is None:
        return
    text = f"{instance.process.name} · {note}"
    if comment:
        text += f": {comment}"
    audit.record(
        actor=actor,
        entity=instance.entity,
        instance=record,
        action=AuditAction.UPDATE,
        changes={"approval": [before, status], "approval_note": [None, text[:500]]},
    )


def approvals_remind_overdue(*, now: datetime.datetime | None = None) -> int:
    """Remind the approvers of each step past its due time, once per step; return how many."""
    now = now or timezone.now()
    overdue = ApprovalInstance.objects.filter(
        status=ApprovalStatus.PENDING, step_due_at__lt=now, reminded_at__isnull=True
    ).select_related("process", "version", "requester")
    count = 0
    for instance in overdue[:500]:
        with transaction.atomic():
            claimed = ApprovalInstance.objects.filter(
                pk=instance.pk, reminded_at__isnull=True, step_index=instance.step_index
            ).update(reminded_at=now)
            if not claimed:
                continue
            tasks = instance.tasks.filter(
                step_index=instance.step_index, decision=TaskDecision.PENDING
            ).select_related("assignee", "instance__process")
            for task in tasks:
                approval_notify.overdue(task)
                count += 1
    return count
