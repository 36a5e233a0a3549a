"""Writes of automation rules: validate everything a rule says, save with a version check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core import registry
from guanxi.core.models import User
from guanxi.core.services import StaleRecord
from guanxi.workflow import actions, automation_engine, automation_triggers, conditions
from guanxi.workflow.automation_models import AutomationRule

MAX_ACTIONS = 20


@dataclass
class RuleData:
    """What a rule editor or API client sends, before validation."""

    name: str = ""
    description: str = ""
    entity: str = ""
    trigger: str = ""
    trigger_params: Any = field(default_factory=dict)
    conditions: Any = field(default_factory=dict)
    actions: Any = field(default_factory=list)
    is_active: bool = True
    log_skipped: bool = False
    order: int = 100
    owner_id: int | None = None


def automation_rule_validate(data: RuleData) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return the rule's values cleaned for storage and the messages per field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {
        "name": (data.name or "").strip()[:200],
        "description": data.description or "",
        "is_active": bool(data.is_active),
        "log_skipped": bool(data.log_skipped),
        "order": data.order if isinstance(data.order, int) and data.order >= 0 else 100,
    }
    if not cleaned["name"]:
        errors["name"] = [_("Enter a name.")]
    if registry.find(data.entity or "") is None:
        errors["entity"] = [_("Choose a record type.")]
        return cleaned, errors
    cleaned["entity"] = data.entity
    params, messages = automation_triggers.validate(data.entity, data.trigger, data.trigger_params)
    if messages:
        kind_ok = data.trigger in automation_triggers.FORMS and automation_triggers.applies(
            data.trigger, data.entity
        )
        errors["trigger_params" if kind_ok else "trigger"] = messages
    cleaned["trigger"], cleaned["trigger_params"] = data.trigger, params
    tree, messages = conditions.validate(data.entity, data.conditions or {})
    if messages:
        errors["conditions"] = messages
    elif (
        data.trigger in automation_triggers.TIME_KINDS or data.trigger == "still_matching"
    ) and conditions.uses_changes(tree):
        errors["conditions"] = [
            _("“changed” conditions need a save to compare with; this trigger has none.")
        ]
    cleaned["conditions"] = tree
    cleaned["actions"], messages = validate_actions(data.entity, data.actions)
    if messages:
        errors["actions"] = messages
    owner = User.objects.filter(pk=data.owner_id, is_active=True).first() if data.owner_id else None
    if owner is None:
        errors["owner"] = [_("Choose the active user the rule runs as.")]
    cleaned["owner"] = owner
    return cleaned, errors


def validate_actions(entity_name: str, raw: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the actions cleaned for storage and messages naming the action they are about."""
    if not isinstance(raw, list) or not raw:
        return [], [_("Add at least one action.")]
    if len(raw) > MAX_ACTIONS:
        return [], [_("A rule may have at most %(n)s actions.") % {"n": MAX_ACTIONS}]
    cleaned, errors = [], []
    for number, item in enumerate(raw, start=1):
        prefix = _("Action %(n)s:") % {"n": number}
        if not isinstance(item, dict):
            errors.append(f"{prefix} {_('The action is not valid.')}")
            continue
        key = str(item.get("type", ""))
        params, messages = actions.validate_params(entity_name, key, item.get("params") or {})
        errors += [f"{prefix} {message}" for message in messages]
        cleaned.append({"type": key, "params": params})
    return cleaned, errors


@transaction.atomic
def automation_rule_save(
    *, actor: User, rule: AutomationRule | None, cleaned: dict[str, Any], version: int | None
) -> AutomationRule:
    """Create or change a rule from validated values; refuse a stale version."""
    if rule is None:
        rule = AutomationRule(created_by=actor)
    else:
        current = AutomationRule.objects.select_for_update().get(pk=rule.pk)
        if version is not None and current.version != version:
            raise StaleRecord
        rule = current
        rule.version += 1
    for name, value in cleaned.items():
        setattr(rule, name, value)
    if rule.trigger in automation_triggers.TIME_KINDS and "trigger" in cleaned:
        # A changed schedule starts from now, not from slots it would have had before.
        rule.scheduled_through = None
    rule.updated_by = actor
    if rule.pk:
        rule.save(
            update_fields=[
                *cleaned.keys(),
                "version",
                "updated_by",
                "updated_at",
                "scheduled_through",
            ]
        )
    else:
        rule.save()
    _rules_changed()
    return rule


@transaction.atomic
def automation_rule_delete(*, actor: User, rule: AutomationRule) -> None:
    """Delete a rule with its runs."""
    rule.delete()
    _rules_changed()


def automation_rule_toggle(*, actor: User, rule: AutomationRule, active: bool) -> None:
    AutomationRule.objects.filter(pk=rule.pk).update(is_active=active, updated_by=actor)
    rule.is_active = active
    automation_engine.rules_changed()


def _rules_changed() -> None:
    # Now for this process, and again once committed so no other worker keeps the old set.
    automation_engine.rules_changed()
    transaction.on_commit(automation_engine.rules_changed)


@dataclass
class DryRun:
    """What a rule would do on one record now: each condition's outcome and the actions."""

    record: Any
    conditions: list[tuple[str, bool | None]]
    holds: bool
    actions: list[str]


def automation_rule_dry_run(rule: AutomationRule, record) -> DryRun:
    """Evaluate a rule's conditions on a record and describe its actions; change nothing.

    A condition on a change ("changed to …") needs a save to compare with: it shows as
    undecided (None) and counts as holding.
    """
    tree = rule.conditions or {}
    results: list[tuple[str, bool | None]] = []
    for item in tree.get("rules", []):
        one = item if "rules" in item else {"match": "all", "rules": [item]}
        text = conditions.describe(rule.entity, one)
        if conditions.uses_changes(one):
            results.append((text, None))
        else:
            results.append((text, conditions.matches(rule.entity, one, record)))
    decided = [outcome is not False for _text, outcome in results]
    holds = all(decided) if tree.get("match", "all") == "all" else any(decided) or not results
    described = []
    for spec in rule.actions or []:
        action = actions.get_action(str(spec.get("type")))
        if action is None:
            described.append(_("This action no longer exists."))
            continue
        text = action.describe(rule.entity, spec.get("params") or {})
        described.append(f"{action.label}: {text}" if text else str(action.label))
    return DryRun(record=record, conditions=results, holds=holds, actions=described)
