"""Automation endpoints: `/automation-rules` (CRUD) and `/automation-runs` (monitor, retry).

Administrators only, like the settings screens. A rule is validated as a whole when saved
(unknown field, wrong type, unknown action or bad parameters, trigger settings) and the
messages come back per field in the `{detail, errors}` shape with 400.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.api.org import get_or_404, require_admin
from guanxi.core import registry
from guanxi.core.queries import capped_count
from guanxi.core.services import StaleRecord
from guanxi.workflow import actions, automation_engine, automation_queries, automation_triggers
from guanxi.workflow.automation_models import AutomationRule, AutomationRun, RunStatus
from guanxi.workflow.automation_services import (
    RuleData,
    automation_rule_delete,
    automation_rule_save,
    automation_rule_validate,
)

router = Router(tags=["Automation"])


class AutomationRuleIn(Schema):
    name: str | None = None
    description: str | None = None
    entity: str | None = None
    trigger: str | None = None
    trigger_params: dict[str, Any] | None = None
    conditions: dict[str, Any] | None = None
    actions: list[dict[str, Any]] | None = None
    is_active: bool | None = None
    log_skipped: bool | None = None
    order: int | None = None
    owner: int | None = None
    version: int | None = None


class AutomationRuleOut(Schema):
    id: int
    name: str
    description: str
    entity: str
    trigger: str
    trigger_params: dict[str, Any]
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    is_active: bool
    log_skipped: bool
    order: int
    owner: int
    version: int
    done_count: int
    skipped_count: int
    failed_count: int
    average_ms: int | None
    last_run_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class AutomationRuleList(Schema):
    count: int
    items: list[AutomationRuleOut]


class AutomationRunOut(Schema):
    id: int
    rule: int
    rule_name: str
    entity: str
    record_id: int
    trigger: str
    status: str
    depth: int
    attempts: int
    next_attempt_at: datetime.datetime | None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    duration_ms: int | None
    error: str


class AutomationRunDetailOut(AutomationRunOut):
    results: list[dict[str, Any]]
    event: dict[str, Any]


class AutomationRunList(Schema):
    count: int
    more: bool
    items: list[AutomationRunOut]


class RunFilters(Schema):
    rule: int | None = None
    status: str = ""
    entity: str = ""
    record: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    limit: int = 50
    offset: int = 0


class OptionOut(Schema):
    key: str
    label: str


class OptionsOut(Schema):
    triggers: list[OptionOut]
    actions: list[OptionOut]
    date_fields: list[OptionOut]
    change_fields: list[OptionOut]


class RetryIn(Schema):
    ids: list[int]


class RetryOut(Schema):
    retried: int


def rule_out(rule: AutomationRule) -> dict[str, Any]:
    return {
        **{
            name: getattr(rule, name)
            for name in AutomationRuleOut.model_fields
            if name not in ("owner", "average_ms")
        },
        "owner": rule.owner_id,
        "average_ms": rule.average_ms,
    }


def run_out(run: AutomationRun, detail: bool = False) -> dict[str, Any]:
    fields = (AutomationRunDetailOut if detail else AutomationRunOut).model_fields
    data = {name: getattr(run, name) for name in fields if name not in ("rule", "rule_name")}
    return {**data, "rule": run.rule_id, "rule_name": run.rule.name}


def _save(request, rule: AutomationRule | None, payload: AutomationRuleIn) -> AutomationRule:
    actor = require_admin(request)
    sent = payload.dict(exclude_unset=True)
    base = (
        {
            "name": rule.name,
            "description": rule.description,
            "entity": rule.entity,
            "trigger": rule.trigger,
            "trigger_params": rule.trigger_params,
            "conditions": rule.conditions,
            "actions": rule.actions,
            "is_active": rule.is_active,
            "log_skipped": rule.log_skipped,
            "order": rule.order,
            "owner_id": rule.owner_id,
        }
        if rule
        else {"owner_id": actor.pk}
    )
    if rule and sent.get("entity") not in (None, rule.entity):
        raise ApiError(
            400,
            _("The data is not valid."),
            {"entity": [_("A rule's record type cannot change; create a new rule.")]},
        )
    for key, value in sent.items():
        if key == "version" or value is None:
            continue
        base["owner_id" if key == "owner" else key] = value
    cleaned, errors = automation_rule_validate(RuleData(**base))
    if errors:
        raise ApiError(400, _("The data is not valid."), errors)
    try:
        return automation_rule_save(
            actor=actor, rule=rule, cleaned=cleaned, version=sent.get("version")
        )
    except StaleRecord:
        raise ApiError(409, str(StaleRecord.message)) from None


@router.get("automation-rules", response=AutomationRuleList, operation_id="automation_rules_list")
def rules_list(request, entity: str = "", limit: int = 100, offset: int = 0):
    """The automation rules with their counts (done, skipped, failed) and average duration."""
    require_admin(request)
    rules = AutomationRule.objects.order_by("entity", "order", "id")
    if entity:
        rules = rules.filter(entity=entity)
    limit = max(1, min(limit, 200))
    items = list(rules[max(0, offset) : max(0, offset) + limit])
    return {"count": rules.count(), "items": [rule_out(rule) for rule in items]}


@router.get(
    "automation-rules/options", response=OptionsOut, operation_id="automation_rules_options"
)
def rules_options(request, entity: str):
    """What a rule on `entity` may use: trigger kinds, actions, date and watchable fields."""
    require_admin(request)
    if registry.find(entity) is None:
        raise ApiError(400, _("The data is not valid."), {"entity": [_("Choose a record type.")]})

    def options(pairs) -> list[dict[str, str]]:
        return [{"key": str(key), "label": str(label)} for key, label in pairs]

    return {
        "triggers": options(automation_triggers.kinds_for(entity)),
        "actions": options((one.key, one.label) for one in actions.action_types(entity)),
        "date_fields": options(automation_triggers.date_fields(entity)),
        "change_fields": options(automation_triggers.change_fields(entity)),
    }


@router.post(
    "automation-rules", response={201: AutomationRuleOut}, operation_id="automation_rules_create"
)
def rules_create(request, payload: AutomationRuleIn):
    """Create a rule: `trigger` with `trigger_params`, `conditions`, `actions` [{type, params}]."""
    return Status(201, rule_out(_save(request, None, payload)))


@router.get(
    "automation-rules/{int:pk}", response=AutomationRuleOut, operation_id="automation_rules_get"
)
def rules_get(request, pk: int):
    require_admin(request)
    return rule_out(get_or_404(AutomationRule.objects.all(), pk))


@router.patch(
    "automation-rules/{int:pk}", response=AutomationRuleOut, operation_id="automation_rules_update"
)
def rules_update(request, pk: int, payload: AutomationRuleIn):
    """Change a rule; send `version` to refuse the change when someone saved it meanwhile."""
    require_admin(request)
    return rule_out(_save(request, get_or_404(AutomationRule.objects.all(), pk), payload))


@router.delete(
    "automation-rules/{int:pk}", response={204: None}, operation_id="automation_rules_delete"
)
def rules_delete(request, pk: int):
    actor = require_admin(request)
    automation_rule_delete(actor=actor, rule=get_or_404(AutomationRule.objects.all(), pk))
    return Status(204, None)


@router.get("automation-runs", response=AutomationRunList, operation_id="automation_runs_list")
def runs_list(request, filters: Query[RunFilters]):
    """Rule runs, newest first; `status` is queued, running, done, skipped, retrying or failed."""
    require_admin(request)
    if filters.status and filters.status not in RunStatus.values:
        raise ApiError(400, _("The data is not valid."), {"status": [_("Choose a valid status.")]})
    runs = automation_queries.run_list(
        rule=filters.rule,
        status=filters.status,
        entity=filters.entity,
        record=filters.record,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    count, more = capped_count(runs)
    items, _more_pages = automation_queries.page(runs, limit=filters.limit, offset=filters.offset)
    return {"count": count, "more": more, "items": [run_out(run) for run in items]}


@router.get(
    "automation-runs/{int:pk}", response=AutomationRunDetailOut, operation_id="automation_runs_get"
)
def runs_get(request, pk: int):
    """One run with each action's outcome and the event that caused it."""
    require_admin(request)
    return run_out(get_or_404(AutomationRun.objects.select_related("rule"), pk), detail=True)


@router.post(
    "automation-runs/{int:pk}/retry",
    response=AutomationRunDetailOut,
    operation_id="automation_runs_retry",
)
def runs_retry(request, pk: int):
    """Run a failed run again (the actions that were done are not repeated)."""
    require_admin(request)
    run = get_or_404(AutomationRun.objects.all(), pk)
    if run.status != RunStatus.FAILED:
        raise ApiError(
            400, _("Only a failed run can be retried."), {"status": [run.get_status_display()]}
        )
    automation_engine.run_retry(run_ids=[run.pk])
    return run_out(AutomationRun.objects.select_related("rule").get(pk=pk), detail=True)


@router.post("automation-runs/retry", response=RetryOut, operation_id="automation_runs_retry_many")
def runs_retry_many(request, payload: RetryIn):
    """Run the given failed runs again; runs that did not fail are left alone."""
    require_admin(request)
    return {"retried": automation_engine.run_retry(run_ids=payload.ids[:1000])}
