"""Forms of the automation rule editor: the rule, its trigger settings, its actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core import registry
from guanxi.core.models import User
from guanxi.workflow import actions, automation_triggers
from guanxi.workflow.automation_models import TriggerKind
from guanxi.workflow.forms import ConditionsField


def entity_choices() -> list[tuple[str, str]]:
    return [(entity.name, str(entity.verbose_name_plural)) for entity in registry.entities()]


class AutomationRuleForm(forms.Form):
    """The rule itself; its trigger settings and actions are forms of their own."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    trigger = forms.ChoiceField(label=_("When"))
    conditions = ConditionsField(label=_("If (conditions)"))
    owner = forms.ModelChoiceField(
        label=_("Run as"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        help_text=_("The actions act as this user (e.g. the author of a created task)."),
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    log_skipped = forms.BooleanField(
        label=_("Record skipped runs"),
        required=False,
        help_text=_("A run for every record the conditions did not hold for (to find out why)."),
    )

    def __init__(self, *args, entity_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity_name = entity_name
        self.fields["trigger"].choices = automation_triggers.kinds_for(entity_name)
        self.fields["trigger"].widget.attrs["data-testid"] = "trigger"
        self.fields["conditions"].set_entity(entity_name)


class ActionRow:
    """One action of the editor: its type, its parameter form, its position."""

    def __init__(self, *, index: int, entity_name: str, key: str, data=None, params=None):
        self.index = index
        self.key = key
        self.action = actions.get_action(key)
        self.prefix = f"action-{index}"
        self.form = None
        if self.action is not None:
            self.form = self.action.form_class(
                data=data, initial=params or {}, entity_name=entity_name, prefix=self.prefix
            )
        self.choices = [(one.key, str(one.label)) for one in actions.action_types(entity_name)]
        self.error = ""

    def is_valid(self) -> bool:
        if self.action is None:
            self.error = str(_("Choose an action."))
            return False
        return self.form.is_valid()

    def params(self) -> dict[str, Any]:
        return {name: actions._jsonable(value) for name, value in self.form.cleaned_data.items()}


def action_rows_from_post(data, entity_name: str) -> tuple[list[ActionRow], list[ActionRow]]:
    """Return the posted action rows in their chosen order, and the rows marked removed."""
    indexes = sorted(
        {
            int(key.split("-")[1])
            for key in data
            if key.startswith("action-") and key.endswith("-type") and key.split("-")[1].isdigit()
        }
    )
    kept, removed = [], []
    for index in indexes:
        row = ActionRow(
            index=index,
            entity_name=entity_name,
            key=data.get(f"action-{index}-type", ""),
            data=data,
        )
        try:
            row.position = int(data.get(f"action-{index}-position") or index)
        except ValueError:
            row.position = index
        (removed if data.get(f"action-{index}-remove") else kept).append(row)
    kept.sort(key=lambda row: (row.position, row.index))
    return kept, removed


def action_rows_from_rule(rule_actions: list[dict[str, Any]], entity_name: str) -> list[ActionRow]:
    rows = []
    for index, spec in enumerate(rule_actions or []):
        row = ActionRow(
            index=index,
            entity_name=entity_name,
            key=spec.get("type", ""),
            params=spec.get("params") or {},
        )
        row.position = index + 1
        rows.append(row)
    return rows


def trigger_form(kind: str, entity_name: str, data=None, params=None):
    if kind not in TriggerKind.values:
        kind = TriggerKind.CREATED
    if data is not None:
        return automation_triggers.form_for(kind, entity_name, data=data)
    form_class = automation_triggers.FORMS[kind]
    return form_class(initial=params or {}, entity_name=entity_name)


class RunFilterForm(forms.Form):
    """Filters of the automation runs monitor."""

    rule = forms.TypedChoiceField(label=_("Rule"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False)
    entity = forms.ChoiceField(label=_("Record type"), required=False)
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.workflow.automation_models import RunStatus

        self.fields["rule"].choices = [("", _("All rules"))] + [
            (rule.pk, rule.name) for rule in rules
        ]
        self.fields["status"].choices = [("", _("All outcomes")), *RunStatus.choices]
        self.fields["entity"].choices = [("", _("All record types")), *entity_choices()]
