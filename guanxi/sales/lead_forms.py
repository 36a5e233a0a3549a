"""Forms of leads: the record form, conversion, and the lead settings screens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.forms import EntityForm
from guanxi.core.models import User
from guanxi.customers.forms import clean_phone_value
from guanxi.sales.choices import LeadStatus, UnqualifiedReason
from guanxi.sales.models import (
    Lead,
    LeadAssignmentRule,
    LeadPoolSettings,
    LeadScoringRule,
    LeadWebForm,
)
from guanxi.sales.models.lead_rules import WEB_FORM_FIELDS, AssignmentAction, ScoringKind
from guanxi.workflow.forms import ConditionsField

# Statuses a person sets by hand; "converted" only comes from a conversion.
HAND_STATUSES = [choice for choice in LeadStatus.choices if choice[0] != LeadStatus.CONVERTED]


def check_reachable(cleaned: dict, fields, add_error) -> None:
    """Require at least one way to reach the lead: a mobile, a phone or an email.

    An import may map only some of the three columns; the ones it maps are checked.
    """
    present = [name for name in ("mobile", "phone", "email") if name in fields]
    if present and not any(cleaned.get(name) for name in present):
        add_error(present[0], _("Enter at least a mobile, a phone number or an email address."))


class LeadForm(EntityForm):
    """Edit a lead; an empty owner lets the assignment rules choose one."""

    entity_name = "lead"

    class Meta:
        model = Lead
        fields = [
            "name",
            "company",
            "title",
            "mobile",
            "phone",
            "email",
            "wechat",
            "website",
            "industry",
            "source",
            "source_detail",
            "status",
            "unqualified_reason",
            "product_interest",
            "country",
            "province",
            "city",
            "address",
            "territory",
            "partner",
            "owner",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            self.fields["owner"].required = False
            self.fields["owner"].empty_label = _("Assign by the rules")
        if "status" in self.fields and self.instance.status != LeadStatus.CONVERTED:
            self.fields["status"].choices = HAND_STATUSES

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the lead's name."), code="required")
        return name

    def clean_mobile(self):
        return clean_phone_value(self.cleaned_data.get("mobile", ""))

    def clean_phone(self):
        return clean_phone_value(self.cleaned_data.get("phone", ""))

    def clean_status(self):
        status = self.cleaned_data.get("status") or LeadStatus.NEW
        if self.instance.pk and self.instance.status == LeadStatus.CONVERTED:
            if status != LeadStatus.CONVERTED:
                raise forms.ValidationError(_("A converted lead keeps its status."), code="status")
        elif status == LeadStatus.CONVERTED:
            raise forms.ValidationError(_("Convert the lead to mark it converted."), code="status")
        return status

    def clean(self):
        cleaned = super().clean()
        fields = set(self.fields)
        check_reachable(cleaned, fields, self.add_error)
        if cleaned.get("status") == LeadStatus.UNQUALIFIED and not cleaned.get(
            "unqualified_reason"
        ):
            self.add_error("unqualified_reason", _("Say why the lead is unqualified."))
        if cleaned.get("status") != LeadStatus.UNQUALIFIED:
            cleaned["unqualified_reason"] = ""
            self.instance.unqualified_reason = ""
        # No owner chosen: the assignment rules choose one once the lead is saved.
        self.instance.assign_by_rules = "owner" in fields and not cleaned.get("owner")
        return cleaned


class UnqualifyForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"), choices=[("", "---------"), *UnqualifiedReason.choices]
    )


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=gettext_lazy("New owner"), queryset=User.objects.filter(is_active=True)
    )


class ConvertForm(forms.Form):
    """Choose what a lead becomes: an existing or new customer and contact, and a deal."""

    account = forms.CharField(required=False, widget=forms.HiddenInput)
    contact = forms.CharField(required=False, widget=forms.HiddenInput)
    create_opportunity = forms.BooleanField(
        label=gettext_lazy("Create an opportunity"), required=False
    )
    opportunity_name = forms.CharField(
        label=gettext_lazy("Opportunity name"), max_length=200, required=False
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=16, decimal_places=2, required=False, min_value=0
    )

    def clean(self):
        cleaned = super().clean()
        for name in ("account", "contact"):
            raw = (cleaned.get(name) or "").strip()
            if raw not in ("", "new") and not raw.isdigit():
                self.add_error(name, _("Choose a record from the list."))
        return cleaned


class AssignmentRuleForm(forms.ModelForm):
    conditions = ConditionsField(
        entity_name="lead",
        label=gettext_lazy("Conditions"),
        help_text=gettext_lazy(
            "The lead's fields the rule looks at, e.g. province is one of 江苏, 浙江; "
            "empty conditions match every lead."
        ),
    )

    class Meta:
        model = LeadAssignmentRule
        fields = [
            "name",
            "position",
            "is_active",
            "conditions",
            "action",
            "user",
            "team",
            "reassign_after_hours",
        ]

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == AssignmentAction.USER and not cleaned.get("user"):
            self.add_error("user", _("Choose the user who gets the leads."))
        team_actions = (AssignmentAction.ROUND_ROBIN, AssignmentAction.LEAST_LOADED)
        if action in team_actions and not cleaned.get("team"):
            self.add_error("team", _("Choose the team whose members get the leads."))
        return cleaned


class ScoringRuleForm(forms.ModelForm):
    class Meta:
        model = LeadScoringRule
        fields = ["kind", "field", "value", "activity_kind", "points", "is_active"]

    def __init__(self, *args, **kwargs):
        from guanxi.activities.choices import ActivityKind

        super().__init__(*args, **kwargs)
        self.fields["activity_kind"] = forms.ChoiceField(
            label=gettext_lazy("Activity kind"),
            choices=[("", "---------"), *ActivityKind.choices],
            required=False,
        )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == ScoringKind.FIELD and not cleaned.get("field"):
            self.add_error("field", _("Choose the field the rule looks at."))
        if kind == ScoringKind.ACTIVITY and not cleaned.get("activity_kind"):
            self.add_error("activity_kind", _("Choose the kind of activity."))
        return cleaned


class WebFormForm(forms.ModelForm):
    fields = forms.MultipleChoiceField(
        label=gettext_lazy("Fields shown"),
        choices=WEB_FORM_FIELDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The name and the consent checkbox are always shown."),
    )

    class Meta:
        model = LeadWebForm
        fields = [
            "name",
            "fields",
            "thank_you",
            "consent_text",
            "source",
            "owner",
            "allowed_origins",
            "is_active",
        ]
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 3})}

    def clean_allowed_origins(self):
        lines = [line.strip() for line in self.cleaned_data["allowed_origins"].splitlines()]
        for line in filter(None, lines):
            if not line.startswith(("http://", "https://")) or " " in line:
                raise forms.ValidationError(
                    _("“%(origin)s” is not an origin like https://www.example.com.")
                    % {"origin": line}
                )
        return "\n".join(filter(None, lines))


class PoolSettingsForm(forms.ModelForm):
    class Meta:
        model = LeadPoolSettings
        fields = ["roles", "max_open_leads"]
        widgets = {"roles": forms.CheckboxSelectMultiple}
