"""The registry of automation actions (动作): what a rule or an escalation may do.

Each app registers the actions it offers once (`register_action`); rule editors list
them, `validate_params` checks what a user or API client configured when the rule is
saved, and the engine calls `run` in the task worker with an `ActionContext`. An action
raises `ActionFailed` (or any exception) to fail; the engine records the error, retries
with backoff when `retry` is true, and never undoes the save that triggered the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _


class ActionFailed(Exception):
    """An action could not be done; the message is shown in the run log as it is."""


@dataclass
class ActionContext:
    """What an action knows when it runs."""

    entity_name: str
    record: models.Model
    # The domain event that triggered the rule ({"name": ..., "payload": {...}}), or the
    # timer / schedule that did.
    event: dict[str, Any]
    # The rule (automation) or process (approval) the action belongs to, and its run.
    rule: Any = None
    run: Any = None
    # How many rule runs led to this one (0 for a user's own save); the engine refuses to
    # go deeper than its limit.
    depth: int = 0
    # The user the action acts as: the rule's owner, or the approval's requester.
    actor: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ActionType:
    """Describe one kind of action."""

    key: str
    label: str | Promise
    # A plain Django form for the action's parameters; built as
    # form_class(data=params, entity_name=...), so a field can offer the entity's fields.
    form_class: type[forms.Form]
    # Do the action; return a short text for the run log ("Task #12 created").
    run: Callable[[ActionContext, dict[str, Any]], str]
    # Return the action with its parameters as a sentence in the active language.
    describe: Callable[[str, dict[str, Any]], str] = lambda entity_name, params: ""
    # Which entities the action applies to (e.g. "convert lead" only to leads).
    applies_to: Callable[[str], bool] = lambda entity_name: True
    # Whether a failure is worth retrying (a webhook is; a missing template is not).
    retry: bool = True
    order: int = 100


_actions: dict[str, ActionType] = {}


def register_action(action: ActionType) -> ActionType:
    _actions[action.key] = action
    return action


def get_action(key: str) -> ActionType | None:
    return _actions.get(key)


def action_types(entity_name: str | None = None) -> list[ActionType]:
    """Return the actions offered for an entity (all of them without one), in order."""
    found = [
        action
        for action in _actions.values()
        if entity_name is None or action.applies_to(entity_name)
    ]
    return sorted(found, key=lambda action: (action.order, str(action.label)))


def validate_params(
    entity_name: str, key: str, params: dict[str, Any] | None
) -> tuple[dict[str, Any], list[str]]:
    """Return an action's parameters cleaned for storage and the error messages."""
    action = get_action(key)
    if action is None or not action.applies_to(entity_name):
        return {}, [_("Unknown action “%(key)s”.") % {"key": key}]
    form = action.form_class(data=params or {}, entity_name=entity_name)
    if not form.is_valid():
        errors = []
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for message in messages:
                errors.append(f"{action.label} – {label}: {message}" if label else message)
        return {}, errors
    return {name: _jsonable(value) for name, value in form.cleaned_data.items()}, []


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)) or hasattr(value, "model"):
        return [_jsonable(one) for one in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value.__class__.__name__ == "Decimal":
        return str(value)
    return value


class ParamsForm(forms.Form):
    """Base of action parameter forms: takes the entity the rule is about."""

    def __init__(self, *args, entity_name: str = "", **kwargs):
        self.entity_name = entity_name
        super().__init__(*args, **kwargs)
