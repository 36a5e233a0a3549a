"""Customer care endpoints: `/care-plans`, `/care-tasks`, `/care-stats`.

Care plans are read by any user and changed by administrators, validated by the settings
screen's form. Care tasks and statistics follow the activities' data scope by task owner.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from guanxi.api.errors import ApiError, invalid
from guanxi.api.org import get_or_404, page, require_admin
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.core.queries import capped_count
from guanxi.service import queries, services, triggers
from guanxi.service.choices import Occasion
from guanxi.service.forms import FILTER_FIELDS, CarePlanForm
from guanxi.service.models import CarePlan, CareTask

router = Router(tags=["Customer care"])


class CarePlanIn(Schema):
    name: str | None = None
    is_active: bool | None = None
    occasion: str | None = None
    audience: str | None = None
    date_field: str | None = None
    days_before: int | None = None
    event_type: str | None = None
    days_after: int | None = None
    first_only: bool | None = None
    account_filters: dict[str, list[str]] | None = None
    assign_to: str | None = None
    assignee: int | None = None
    team: int | None = None
    subject: str | None = None
    priority: str | None = None
    template: int | None = None


class CarePlanOut(Schema):
    id: int
    name: str
    is_active: bool
    occasion: str
    audience: str
    date_field: str
    days_before: int
    event_type: str
    days_after: int
    first_only: bool
    account_filters: dict[str, list[str]]
    assign_to: str
    assignee: int | None
    team: int | None
    subject: str
    priority: str
    template: int | None


class CarePlanList(Schema):
    count: int
    items: list[CarePlanOut]


class TriggerOut(Schema):
    key: str
    label: str


class OptionsOut(Schema):
    events: list[TriggerOut]
    dates: list[TriggerOut]


class DraftOut(Schema):
    channel: str
    to_address: str
    subject: str
    body: str


class CareTaskOut(Schema):
    id: int
    plan: int
    plan_name: str
    link_entity: str
    link_id: int
    account: int | None
    contact: int | None
    person: str
    occasion_date: datetime.date
    due_date: datetime.date
    activity: int | None
    owner: int | None
    status: str
    overdue: bool
    done_at: datetime.datetime | None
    done_on_time: bool
    message: int | None


class CareTaskDetailOut(CareTaskOut):
    suggested_message: DraftOut


class CareTaskList(Schema):
    count: int
    items: list[CareTaskOut]


class CareTaskFilters(Schema):
    plan: int | None = None
    owner: int | None = None
    department: int | None = None
    status: str = ""
    due_from: datetime.date | None = None
    due_to: datetime.date | None = None
    limit: int = 50
    offset: int = 0


class SendIn(Schema):
    subject: str | None = None
    body: str | None = None


class SendOut(Schema):
    message: int
    status: str
    care_task: CareTaskOut


class StatsRowOut(Schema):
    id: int | None
    name: str
    created: int
    done: int
    done_on_time: int
    overdue: int
    cancelled: int
    open: int
    done_rate: int


class StatsOut(Schema):
    start: datetime.date
    end: datetime.date
    total: StatsRowOut
    owners: list[StatsRowOut]
    plans: list[StatsRowOut]


class RunIn(Schema):
    date: datetime.date | None = None


class RunOut(Schema):
    created: int
    existing: int
    unassigned: int


# --- Plans ------------------------------------------------------------------------------------


def plan_out(plan: CarePlan) -> dict[str, Any]:
    return {
        **{name: getattr(plan, name) for name in CarePlanOut.model_fields if name != "id"},
        "id": plan.pk,
        "assignee": plan.assignee_id,
        "team": plan.team_id,
        "template": plan.template_id,
        "account_filters": plan.account_filters or {},
    }


def _form_data(plan: CarePlan, payload: CarePlanIn) -> dict[str, Any]:
    """Return the form data of a plan with the sent fields laid over it."""
    data = plan_out(plan) if plan.pk else {"is_active": True, "occasion": Occasion.YEARLY}
    data.setdefault("audience", plan.audience)
    data.setdefault("priority", plan.priority)
    data.setdefault("assign_to", plan.assign_to)
    data.setdefault("days_before", plan.days_before)
    data.setdefault("days_after", plan.days_after)
    sent = payload.dict(exclude_unset=True)
    data.update({key: value for key, value in sent.items() if value is not None})
    for name, key in FILTER_FIELDS.items():
        data[name] = (data.get("account_filters") or {}).get(key, [])
    if data.get("date_field"):
        data["yearly_date"] = f"{data.get('audience')}:{data['date_field']}"
    for flag in ("is_active", "first_only"):
        if not data.get(flag):
            data.pop(flag, None)
    return {key: value for key, value in data.items() if value is not None}


def _save(request, plan: CarePlan, payload: CarePlanIn) -> CarePlan:
    actor = require_admin(request)
    form = CarePlanForm(_form_data(plan, payload), instance=plan if plan.pk else None)
    if not form.is_valid():
        raise invalid(form)
    return services.care_plan_save(actor=actor, form=form)


@router.get("care-plans", response=CarePlanList, operation_id="care_plans_list")
def plan_list(request, limit: int = 50, offset: int = 0):
    count, items = page(CarePlan.objects.order_by("name", "id"), limit, offset)
    return {"count": count, "items": [plan_out(plan) for plan in items]}


@router.get("care-plans/options", response=OptionsOut, operation_id="care_plans_options")
def plan_options(request):
    """The events event plans may follow and the yearly dates ("contact:birthday")."""
    from guanxi.service.occasions import all_date_field_choices

    return {
        "events": [{"key": key, "label": label} for key, label in triggers.choices()],
        "dates": [{"key": key, "label": label} for key, label in all_date_field_choices()],
    }


@router.post("care-plans", response={201: CarePlanOut}, operation_id="care_plans_create")
def plan_create(request, payload: CarePlanIn):
    """Create a care plan (administrators); `date_field` with `audience` for a yearly date."""
    return Status(201, plan_out(_save(request, CarePlan(), payload)))


@router.post("care-plans/run", response=RunOut, operation_id="care_plans_run")
def plan_run(request, payload: RunIn):
    """Create the due care tasks now, as on `date` (administrators)."""
    require_admin(request)
    result = services.care_run(day=payload.date)
    return {"created": result.created, "existing": result.existing, "unassigned": result.unassigned}


@router.get("care-plans/{int:pk}", response=CarePlanOut, operation_id="care_plans_get")
def plan_get(request, pk: int):
    return plan_out(get_or_404(CarePlan.objects.all(), pk))


@router.patch("care-plans/{int:pk}", response=CarePlanOut, operation_id="care_plans_update")
def plan_update(request, pk: int, payload: CarePlanIn):
    return plan_out(_save(request, get_or_404(CarePlan.objects.all(), pk), payload))


@router.delete("care-plans/{int:pk}", response={204: None}, operation_id="care_plans_delete")
def plan_delete(request, pk: int):
    actor = require_admin(request)
    services.care_plan_delete(actor=actor, plan=get_or_404(CarePlan.objects.all(), pk))
    return Status(204, None)


# --- Tasks ------------------------------------------------------------------------------------


def task_out(care: CareTask, today: datetime.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    person = care.contact if care.link_entity == "contact" else care.account
    return {
        "id": care.pk,
        "plan": care.plan_id,
        "plan_name": care.plan.name,
        "link_entity": care.link_entity,
        "link_id": care.link_id,
        "account": care.account_id,
        "contact": care.contact_id,
        "person": str(person) if person is not None else "",
        "occasion_date": care.occasion_date,
        "due_date": care.due_date,
        "activity": care.activity_id,
        "owner": care.owner_id,
        "status": care.status,
        "overdue": care.status == "open" and care.due_date < today,
        "done_at": care.done_at,
        "done_on_time": care.done_on_time,
        "message": care.message_id,
    }


@router.get("care-tasks", response=CareTaskList, operation_id="care_tasks_list")
def task_list(request, filters: Query[CareTaskFilters]):
    """Care tasks the caller may see; `status` is open, done, cancelled or overdue."""
    require(request.auth, "activity", Action.VIEW)
    if filters.status and filters.status not in queries.STATUS_FILTERS:
        raise ApiError(400, _("The data is not valid."), {"status": [_("Choose a valid status.")]})
    tasks = queries.care_task_list(
        request.auth,
        plan=filters.plan,
        owner=filters.owner,
        department=filters.department,
        status=filters.status,
        date_from=filters.due_from,
        date_to=filters.due_to,
    )
    limit = max(1, min(filters.limit, 500))
    offset = max(0, filters.offset)
    items = list(tasks[offset : offset + limit])
    count, _more = capped_count(tasks)
    return {"count": count, "items": [task_out(care) for care in items]}


def _visible_task(request, pk: int) -> CareTask:
    return get_or_404(
        queries.visible_care_tasks(request.auth).select_related(
            "plan__template", "owner", "contact__account", "account", "activity"
        ),
        pk,
    )


@router.get("care-tasks/{int:pk}", response=CareTaskDetailOut, operation_id="care_tasks_get")
def task_get(request, pk: int):
    """One care task with its suggested message filled in for the caller."""
    care = _visible_task(request, pk)
    draft = services.care_draft(care, request.auth)
    return {
        **task_out(care),
        "suggested_message": {
            "channel": draft.channel,
            "to_address": draft.to_address,
            "subject": draft.subject,
            "body": draft.body,
        },
    }


@router.post("care-tasks/{int:pk}/send", response={202: SendOut}, operation_id="care_tasks_send")
def task_send(request, pk: int, payload: SendIn):
    """Send the suggested message (optionally edited) and mark the care done; 202 once queued."""
    care = _visible_task(request, pk)
    try:
        message = services.care_send(
            actor=request.auth, care_task=care, subject=payload.subject, body=payload.body
        )
    except services.CareError as error:
        raise ApiError(400, error.message) from None
    except PermissionDenied:
        raise ApiError(404, _("Not found.")) from None
    message.refresh_from_db()
    care.refresh_from_db()
    return Status(
        202, {"message": message.pk, "status": message.status, "care_task": task_out(care)}
    )


# --- Statistics -------------------------------------------------------------------------------


def stats_row(row: queries.StatsRow) -> dict[str, Any]:
    return {
        "id": row.key,
        "name": row.label,
        "created": row.created,
        "done": row.done,
        "done_on_time": row.on_time,
        "overdue": row.overdue,
        "cancelled": row.cancelled,
        "open": row.open,
        "done_rate": row.done_rate,
    }


@router.get("care-stats", response=StatsOut, operation_id="care_stats")
def stats(
    request,
    period: str = "month",
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    owner: int | None = None,
    department: int | None = None,
):
    """Care per owner and per plan for tasks due in a period (`month`, `last_month`,
    `quarter`, `year`, or `start`/`end`), within the caller's data scope."""
    require(request.auth, "activity", Action.VIEW)
    first, last = queries.period_bounds(period, timezone.localdate())
    result = queries.care_stats(
        request.auth,
        start=start or first,
        end=end or last,
        owner=owner,
        department=department,
    )
    return {
        "start": result.start,
        "end": result.end,
        "total": stats_row(result.total),
        "owners": [stats_row(row) for row in result.owners],
        "plans": [stats_row(row) for row in result.plans],
    }
