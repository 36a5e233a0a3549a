"""Validate an approval process definition: conditions, locked fields and ordered steps.

Forms and the API send the same shape; `definition_validate` returns it cleaned for a
frozen version, and the errors keyed by field (`conditions`, `governed_fields`,
`steps.2.approver` …) in the user's language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from guanxi.core import registry
from guanxi.workflow import approval_approvers, conditions
from guanxi.workflow.approval_gates import SUBMIT, get_gate

MODES = ("any", "all")
MAX_STEPS = 20
MAX_DUE_HOURS = 2000


def lockable_fields(entity_name: str) -> dict[str, str]:
    """Return {key: label} of the record's own fields a process may lock while pending."""
    return {
        key: spec.label
        for key, spec in conditions.fields_for(entity_name).items()
        if "." not in key or (key.startswith("custom.") and key.count(".") == 1)
    }


def trigger_choices(entity_name: str) -> list[tuple[str, str]]:
    from guanxi.workflow.approval_gates import gates

    choices = [(SUBMIT, _("Submitted by hand from the record's page"))]
    choices += [(gate.key, str(gate.label)) for gate in gates(entity_name)]
    return choices


def entity_choices() -> list[tuple[str, str]]:
    return [(entity.name, str(entity.verbose_name).capitalize()) for entity in registry.entities()]


def definition_validate(
    entity_name: str, trigger: str, data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return (definition, errors) for `conditions`, `governed_fields` and `steps`."""
    errors: dict[str, list[str]] = {}
    if registry.find(entity_name) is None:
        return {}, {"entity": [_("Choose one of the listed entities.")]}
    gate = get_gate(trigger)
    if trigger != SUBMIT and (gate is None or gate.entity != entity_name):
        errors["trigger"] = [_("Choose one of the listed moments for this entity.")]
    tree, condition_errors = conditions.validate(entity_name, data.get("conditions") or {})
    if condition_errors:
        errors["conditions"] = condition_errors
    fields = data.get("governed_fields") or []
    lockable = lockable_fields(entity_name)
    if not isinstance(fields, list) or any(field not in lockable for field in fields):
        unknown = [str(field) for field in (fields if isinstance(fields, list) else [fields])]
        unknown = [field for field in unknown if field not in lockable]
        errors["governed_fields"] = [
            _("Unknown field: %(fields)s.") % {"fields": ", ".join(unknown)}
        ]
        fields = []
    steps, step_errors = steps_validate(data.get("steps"))
    errors.update(step_errors)
    definition = {
        "conditions": tree,
        "governed_fields": list(dict.fromkeys(fields)),
        "steps": steps,
        "skip_unresolved": bool(data.get("skip_unresolved", False)),
    }
    return definition, errors


def steps_validate(raw: Any) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Return the steps cleaned and the errors keyed `steps` or `steps.<n>.<field>`."""
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, list) or not raw:
        return [], {"steps": [_("Add at least one step.")]}
    if len(raw) > MAX_STEPS:
        return [], {"steps": [_("A process has at most %(n)s steps.") % {"n": MAX_STEPS}]}
    steps = []
    for index, item in enumerate(raw):
        key = f"steps.{index}"
        if not isinstance(item, dict):
            errors[key] = [_("Each step needs its approver and how they decide.")]
            continue
        approver, approver_errors = approval_approvers.validate(item.get("approver"))
        if approver_errors:
            errors[f"{key}.approver"] = approver_errors
        mode = item.get("mode", "any")
        if mode not in MODES:
            errors[f"{key}.mode"] = [_("Choose “any” or “all”.")]
        due = item.get("due_hours")
        if due in ("", None):
            due = None
        elif isinstance(due, bool) or not str(due).isdigit() or int(due) > MAX_DUE_HOURS:
            errors[f"{key}.due_hours"] = [
                _("Enter whole business hours from 0 to %(max)s, or leave it empty.")
                % {"max": MAX_DUE_HOURS}
            ]
            due = None
        else:
            due = int(due) or None
        skip = item.get("skip_requester", True)
        if not isinstance(skip, bool):
            errors[f"{key}.skip_requester"] = [_("Enter true or false.")]
        name = str(item.get("name") or "").strip()[:100]
        steps.append(
            {
                "name": name or _("Step %(n)s") % {"n": index + 1},
                "approver": approver,
                "mode": mode if mode in MODES else "any",
                "skip_requester": skip is True,
                "due_hours": due,
            }
        )
    return steps, errors
