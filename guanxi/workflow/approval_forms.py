"""Forms of the approval screens: a process with its steps, decisions, delegations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import Role, User
from guanxi.workflow import approval_approvers
from guanxi.workflow.approval_approvers import MAX_LEVELS
from guanxi.workflow.approval_definitions import (
    MAX_DUE_HOURS,
    entity_choices,
    lockable_fields,
    trigger_choices,
)
from guanxi.workflow.approval_models import ApprovalProcess
from guanxi.workflow.forms import ConditionsField


def active_users():
    return User.objects.filter(is_active=True).order_by("username")


class EntityChoiceForm(forms.Form):
    entity = forms.ChoiceField(label=_("Records of"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = entity_choices()


class ProcessForm(forms.Form):
    """The process itself; its steps come from `StepFormSet`."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    trigger = forms.ChoiceField(label=_("When"), choices=())
    conditions = ConditionsField(label=_("Applies when"))
    governed_fields = forms.MultipleChoiceField(
        label=_("Fields locked while pending"),
        required=False,
        choices=(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    skip_unresolved = forms.BooleanField(
        label=_("Skip steps without approver"),
        required=False,
        help_text=ApprovalProcess._meta.get_field("skip_unresolved").help_text,
    )
    stuck_after_days = forms.IntegerField(
        label=_("Stuck after (days)"), min_value=1, max_value=365, initial=3
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, entity_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity_name = entity_name
        self.fields["trigger"].choices = trigger_choices(entity_name)
        self.fields["conditions"].set_entity(entity_name)
        self.fields["governed_fields"].choices = list(lockable_fields(entity_name).items())

    @classmethod
    def initial_of(cls, process: ApprovalProcess) -> dict[str, Any]:
        return {
            "name": process.name,
            "description": process.description,
            "trigger": process.trigger,
            "conditions": process.conditions,
            "governed_fields": process.governed_fields,
            "skip_unresolved": process.skip_unresolved,
            "stuck_after_days": process.stuck_after_days,
            "is_active": process.is_active,
        }


class StepForm(forms.Form):
    """One step: who approves, any one or all, and when it is due."""

    name = forms.CharField(label=_("Step name"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("Approver"), choices=())
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.none(), required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none(), required=False)
    levels = forms.IntegerField(
        label=_("Levels up"), min_value=0, max_value=MAX_LEVELS, required=False, initial=0
    )
    mode = forms.ChoiceField(
        label=_("Decision"),
        choices=[("any", _("Any one approves")), ("all", _("All must approve"))],
        initial="any",
    )
    skip_requester = forms.BooleanField(
        label=_("Skip when the approver is the requester"), required=False, initial=True
    )
    due_hours = forms.IntegerField(
        label=_("Due within (business hours)"),
        min_value=1,
        max_value=MAX_DUE_HOURS,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (key, label) for key, label in approval_approvers.KINDS.items()
        ]
        self.fields["user"].queryset = active_users()
        self.fields["role"].queryset = Role.objects.order_by("name")

    def as_step(self) -> dict[str, Any]:
        data = self.cleaned_data
        approver: dict[str, Any] = {"kind": data["kind"]}
        if data["kind"] == "user":
            approver["user"] = data["user"].pk if data.get("user") else None
        elif data["kind"] == "role":
            approver["role"] = data["role"].pk if data.get("role") else None
        elif data["kind"] == "department_head":
            approver["levels"] = data.get("levels") or 0
        return {
            "name": data.get("name", ""),
            "approver": approver,
            "mode": data["mode"],
            "skip_requester": bool(data.get("skip_requester")),
            "due_hours": data.get("due_hours"),
        }

    @staticmethod
    def initial_of(step: dict[str, Any]) -> dict[str, Any]:
        approver = step.get("approver", {})
        return {
            "name": step.get("name", ""),
            "kind": approver.get("kind"),
            "user": approver.get("user"),
            "role": approver.get("role"),
            "levels": approver.get("levels", 0),
            "mode": step.get("mode", "any"),
            "skip_requester": step.get("skip_requester", True),
            "due_hours": step.get("due_hours"),
        }


StepFormSet = forms.formset_factory(StepForm, extra=0, can_order=True, can_delete=True, max_num=20)


def steps_of(formset) -> list[dict[str, Any]]:
    """Return the steps of a valid formset in their chosen order, deleted ones left out."""
    kept = [form for form in formset.ordered_forms if not form.cleaned_data.get("DELETE")]
    return [form.as_step() for form in kept if form.cleaned_data.get("kind")]


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DelegateForm(forms.Form):
    delegate = forms.ModelChoiceField(label=_("Delegate to"), queryset=User.objects.none())
    comment = forms.CharField(label=_("Comment"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = active_users()
        if user is not None:
            queryset = queryset.exclude(pk=user.pk)
        self.fields["delegate"].queryset = queryset


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(label=_("Delegate"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    process = forms.ModelChoiceField(
        label=_("Only for the process"),
        queryset=ApprovalProcess.objects.none(),
        required=False,
        empty_label=_("All processes"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = active_users()
        if user is not None:
            queryset = queryset.exclude(pk=user.pk)
        self.fields["delegate"].queryset = queryset
        self.fields["process"].queryset = ApprovalProcess.objects.order_by("name")
