"""Test-only actions and helpers for the automation engine tests.

The real actions (assign owner, create task …) belong to another module; these tiny ones
let the engine be tested on its own, under keys no real action uses.
"""

from __future__ import annotations

from django import forms
from django.db import transaction

from guanxi.core import registry
from guanxi.core.services import record_written
from guanxi.workflow import actions

STATE = {"fail": 0, "calls": []}


class SetFieldForm(actions.ParamsForm):
    field = forms.CharField(label="Field")
    value = forms.CharField(label="Value", required=False)


def _set_field(context: actions.ActionContext, params: dict) -> str:
    record = context.record
    before = getattr(record, params["field"])
    setattr(record, params["field"], params["value"])
    record.save(update_fields=[params["field"]])
    record_written(
        actor=context.actor,
        entity=registry.get(context.entity_name),
        instance=record,
        action="update",
        changes={params["field"]: [before, params["value"]]},
    )
    STATE["calls"].append(("set", record.pk, params["field"], params["value"]))
    return f"{params['field']} = {params['value']}"


class NoParams(actions.ParamsForm):
    pass


def _flaky(context: actions.ActionContext, params: dict) -> str:
    STATE["calls"].append(("flaky", context.record.pk))
    if STATE["fail"]:
        STATE["fail"] -= 1
        raise actions.ActionFailed("The mail server did not answer.")
    return "sent"


def _clone(context: actions.ActionContext, params: dict) -> str:
    from guanxi.customers.models import Account

    copy = Account.objects.create(
        name=f"{context.record.name}+",
        number=f"C{Account.objects.count() + 1:06d}",
        owner=context.actor,
    )
    record_written(
        actor=context.actor,
        entity=registry.get("account"),
        instance=copy,
        action="create",
        changes={"name": [None, copy.name]},
    )
    return f"#{copy.pk}"


def _remember(context: actions.ActionContext, params: dict) -> str:
    STATE["calls"].append(("remember", context.entity_name, context.record.pk, context.depth))
    return "noted"


TEST_ACTIONS = [
    actions.ActionType(
        key="test_set_field", label="Set a field (test)", form_class=SetFieldForm, run=_set_field
    ),
    actions.ActionType(key="test_flaky", label="Flaky (test)", form_class=NoParams, run=_flaky),
    actions.ActionType(key="test_clone", label="Clone (test)", form_class=NoParams, run=_clone),
    actions.ActionType(
        key="test_remember", label="Remember (test)", form_class=NoParams, run=_remember
    ),
]


def register() -> None:
    """Offer the test actions for one test (other apps' tests never see them)."""
    for action in TEST_ACTIONS:
        actions.register_action(action)


def unregister() -> None:
    for action in TEST_ACTIONS:
        actions._actions.pop(action.key, None)


def reset() -> None:
    STATE["fail"] = 0
    STATE["calls"] = []


def make_rule(owner, **values):
    """Save a rule through the service, as the editor and the API do; fail on messages."""
    from guanxi.workflow.automation_services import (
        RuleData,
        automation_rule_save,
        automation_rule_validate,
    )

    values.setdefault("name", "Rule")
    values.setdefault("entity", "account")
    values.setdefault("trigger", "updated")
    values.setdefault("actions", [{"type": "test_remember", "params": {}}])
    cleaned, errors = automation_rule_validate(RuleData(owner_id=owner.pk, **values))
    assert errors == {}, errors
    return automation_rule_save(actor=owner, rule=None, cleaned=cleaned, version=None)


def user_saves(actor, record, **changes):
    """Save fields of a record as a service does: one transaction, history, event."""
    with transaction.atomic():
        before = {name: getattr(record, name) for name in changes}
        for name, value in changes.items():
            setattr(record, name, value)
        record.save()
        record_written(
            actor=actor,
            entity=registry.for_model(type(record)),
            instance=record,
            action="update",
            changes={name: [before[name], value] for name, value in changes.items()},
        )
    return record
