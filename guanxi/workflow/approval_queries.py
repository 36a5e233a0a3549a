"""Reads of approvals shared by the screens and the API: inbox, monitor, record summary."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import display, privacy, registry
from guanxi.core.choices import Action
from guanxi.core.permissions import scope_filter
from guanxi.core.timeline import TimelineItem
from guanxi.workflow import approval_approvers, conditions
from guanxi.workflow.approval_definitions import lockable_fields
from guanxi.workflow.approval_gates import get_gate
from guanxi.workflow.approval_models import (
    ApprovalInstance,
    ApprovalStatus,
    ApprovalTask,
    TaskDecision,
)
from guanxi.workflow.approval_services import is_admin
from guanxi.workflow.calendar import business_minutes_between, working_time_for

SUMMARY_LIMIT = 20


def instances() -> QuerySet:
    return ApprovalInstance.objects.select_related("process", "version", "requester")


def with_tasks(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(
        Prefetch(
            "tasks",
            queryset=ApprovalTask.objects.select_related("assignee", "delegated_from").order_by(
                "step_index", "created_at", "id"
            ),
        )
    )


def instances_for(
    user, *, mine: str = "", status: str = "", entity: str = "", record=None, process=None
) -> QuerySet:
    """Return the instances a user may see, filtered; "mine" is pending, requested or decided.

    Administrators see every instance; others see those they requested or decide (or
    decided), and those of records their data scope lets them view.
    """
    queryset = instances()
    if status:
        queryset = queryset.filter(status=status)
    if entity:
        queryset = queryset.filter(entity=entity)
    if record is not None:
        queryset = queryset.filter(record_id=record)
    if process is not None:
        queryset = queryset.filter(process_id=process)
    involved = Q(requester=user) | Q(
        Exists(
            ApprovalTask.objects.filter(instance=OuterRef("pk")).filter(
                Q(assignee=user) | Q(delegated_from=user)
            )
        )
    )
    if mine == "pending":
        return queryset.filter(
            status=ApprovalStatus.PENDING,
            pk__in=ApprovalTask.objects.filter(assignee=user, decision=TaskDecision.PENDING).values(
                "instance_id"
            ),
        )
    if mine == "requested":
        return queryset.filter(requester=user)
    if mine == "decided":
        return queryset.filter(
            pk__in=ApprovalTask.objects.filter(assignee=user)
            .exclude(decision__in=[TaskDecision.PENDING, TaskDecision.CLOSED])
            .values("instance_id")
        )
    if is_admin(user):
        return queryset
    visible = involved
    for entity_name in _entities_with_instances(queryset):
        model = registry.get(entity_name).model
        ids = scope_filter(model._default_manager.all(), user, Action.VIEW).values("pk")
        visible |= Q(entity=entity_name, record_id__in=ids)
    return queryset.filter(visible)


def _entities_with_instances(queryset) -> list[str]:
    from guanxi.workflow.approval_models import ApprovalProcess

    names = ApprovalProcess.objects.order_by().values_list("entity", flat=True).distinct()
    return [name for name in names if registry.find(name) is not None]


def pending_task_count(user) -> int:
    return ApprovalTask.objects.filter(assignee=user, decision=TaskDecision.PENDING).count()


def inbox_tasks(user) -> QuerySet:
    """Return the user's tasks waiting for their decision, newest first."""
    return (
        ApprovalTask.objects.filter(assignee=user, decision=TaskDecision.PENDING)
        .select_related(
            "instance__process", "instance__version", "instance__requester", "delegated_from"
        )
        .order_by("-created_at", "-id")
    )


def can_see(user, instance: ApprovalInstance) -> bool:
    """Tell whether a user may open an approval's page."""
    if is_admin(user) or instance.requester_id == user.pk:
        return True
    if instance.tasks.filter(Q(assignee=user) | Q(delegated_from=user)).exists():
        return True
    entity = registry.find(instance.entity)
    if entity is None:
        return False
    model = entity.model
    return (
        scope_filter(model._default_manager.all(), user, Action.VIEW)
        .filter(pk=instance.record_id)
        .exists()
    )


def open_task_of(user, instance: ApprovalInstance) -> ApprovalTask | None:
    """Return the user's task waiting at the instance's current step, if any."""
    if instance.status != ApprovalStatus.PENDING:
        return None
    return next(
        (
            task
            for task in instance.tasks.all()
            if task.assignee_id == user.pk
            and task.decision == TaskDecision.PENDING
            and task.step_index == instance.step_index
        ),
        None,
    )


@dataclass
class SummaryRow:
    key: str
    label: str
    value: str


def summary(instance: ApprovalInstance, record, user) -> list[SummaryRow]:
    """Return what an approver decides on: the locked fields and those the conditions test."""
    if record is None:
        return []
    entity = registry.get(instance.entity)
    definition = instance.version.definition
    keys = list(definition.get("governed_fields", []))
    keys += [key for key in conditions.fields_used(definition.get("conditions")) if key not in keys]
    labels = conditions.fields_for(instance.entity)
    mask = privacy.masks_personal_data(user)
    rows = []
    for key in keys[:SUMMARY_LIMIT]:
        spec = labels.get(key)
        rows.append(
            SummaryRow(
                key=key,
                label=str(spec.label) if spec else key,
                value=_value(entity, record, key, mask) or "—",
            )
        )
    return rows


def _value(entity, record, key: str, mask: bool) -> str:
    head, _sep, rest = key.partition(".")
    if head == "custom" or not rest:
        return display.record_value(entity, record, key, mask=mask)
    related = getattr(record, head, None)
    if related is None:
        return ""
    target = registry.for_model(type(related))
    if target is None:
        return str(conditions.value_of(related, rest) or "")
    return _value(target, related, rest, mask)


def action_text(instance: ApprovalInstance) -> str:
    gate = get_gate(instance.gate) if instance.gate else None
    if gate is None:
        return ""
    if gate.describe:
        return gate.describe(instance.params)
    return str(gate.label)


@dataclass
class StepView:
    index: int
    name: str
    approver: str
    mode: str
    state: str  # done, current, waiting, skipped
    tasks: list[ApprovalTask]


def steps_view(instance: ApprovalInstance) -> list[StepView]:
    """Return the instance's steps (of its own version) with their tasks, for the page."""
    tasks = list(instance.tasks.all())
    views = []
    for index, step in enumerate(instance.version.steps):
        step_tasks = [task for task in tasks if task.step_index == index]
        if instance.status == ApprovalStatus.PENDING and index == instance.step_index:
            state = "current"
        elif index < instance.step_index or (
            instance.status == ApprovalStatus.APPROVED and step_tasks
        ):
            state = "done" if step_tasks else "skipped"
        elif instance.status == ApprovalStatus.APPROVED:
            state = "skipped"
        else:
            state = "waiting"
        views.append(
            StepView(
                index=index,
                name=step["name"],
                approver=approval_approvers.describe(step["approver"]),
                mode=_("All must approve") if step.get("mode") == "all" else _("Any one approves"),
                state=state,
                tasks=step_tasks,
            )
        )
    return views


# --- Monitor ----------------------------------------------------------------------------------


@dataclass
class MonitorRow:
    instance: ApprovalInstance
    step_name: str
    waiting_for: list[str]
    business_hours: float
    days: int
    overdue: bool
    stuck: bool


def monitor_rows(queryset, now: datetime.datetime | None = None) -> list[MonitorRow]:
    """Return monitor rows: where each instance waits, since when, overdue or stuck."""
    now = now or timezone.now()
    working = working_time_for()
    rows = []
    for instance in queryset:
        steps = instance.version.steps
        step = steps[instance.step_index] if instance.step_index < len(steps) else {}
        waiting = [
            str(task.assignee)
            for task in instance.tasks.all()
            if task.decision == TaskDecision.PENDING and task.step_index == instance.step_index
        ]
        since = instance.step_started_at or instance.started_at
        pending = instance.status == ApprovalStatus.PENDING
        days = (now - since).days if pending else 0
        rows.append(
            MonitorRow(
                instance=instance,
                step_name=step.get("name", ""),
                waiting_for=waiting,
                business_hours=round(business_minutes_between(since, now, working=working) / 60, 1)
                if pending
                else 0,
                days=days,
                overdue=pending and instance.step_due_at is not None and instance.step_due_at < now,
                stuck=pending
                and (
                    bool(instance.stuck_reason)
                    or not waiting
                    or days >= instance.process.stuck_after_days
                ),
            )
        )
    return rows


# --- Timeline ---------------------------------------------------------------------------------


def timeline_items(entity_name: str, record_id: int, before, limit: int) -> list[TimelineItem]:
    """Return the decisions on a record's approvals as timeline items."""
    tasks = ApprovalTask.objects.filter(
        instance__entity=entity_name, instance__record_id=record_id, decided_at__isnull=False
    ).exclude(decision=TaskDecision.CLOSED)
    if before is not None:
        tasks = tasks.filter(decided_at__lt=before)
    items = []
    for task in tasks.select_related(
        "instance__process", "instance__version", "assignee", "delegated_from"
    ).order_by("-decided_at")[:limit]:
        steps = task.instance.version.steps
        step = steps[task.step_index]["name"] if task.step_index < len(steps) else ""
        title = f"{task.instance.process.name} · {step} · {task.get_decision_display()}"
        if task.delegated_from_id and task.delegated_from_id != task.assignee_id:
            title += " · " + _("on behalf of %(user)s") % {"user": task.delegated_from}
        items.append(
            TimelineItem(
                at=task.decided_at,
                kind="approval",
                title=title,
                body=task.comment,
                actor_id=task.assignee_id,
                actor_name=str(task.assignee),
                url=_url(task.instance_id),
            )
        )
    started = ApprovalInstance.objects.filter(entity=entity_name, record_id=record_id)
    if before is not None:
        started = started.filter(started_at__lt=before)
    for instance in started.select_related("process", "requester").order_by("-started_at")[:limit]:
        items.append(
            TimelineItem(
                at=instance.started_at,
                kind="approval",
                title=_("Submitted for approval: %(process)s") % {"process": instance.process.name},
                body=instance.comment,
                actor_id=instance.requester_id,
                actor_name=str(instance.requester),
                url=_url(instance.pk),
            )
        )
    return items


def _url(pk: int) -> str:
    from django.urls import reverse

    return reverse("web:approval_detail", args=[pk])


def lockable_choices(entity_name: str) -> list[tuple[str, Any]]:
    return list(lockable_fields(entity_name).items())
