"""Forms of customer care: the care plan form the settings screen and the API share."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.activities import placeholders
from guanxi.activities.models import MessageTemplate
from guanxi.core import grouping
from guanxi.core.models import Group, Team, User
from guanxi.customers.choices import AccountType, Grade
from guanxi.service import occasions, triggers
from guanxi.service.choices import AssignTo, Audience, Occasion
from guanxi.service.models import CarePlan

# Customer filters a plan may narrow by: form field → account list filter key.
FILTER_FIELDS = {
    "account_types": "account_type",
    "grades": "grade",
    "tags": "tag",
    "groups": "group",
}
MAX_DAYS_BEFORE = 90
MAX_DAYS_AFTER = 365


class CarePlanForm(forms.ModelForm):
    """Edit a care plan: whom, when, who does it, what it says."""

    yearly_date = forms.ChoiceField(label=_("Yearly date"), required=False)
    account_types = forms.MultipleChoiceField(
        label=_("Customer types"), required=False, choices=AccountType.choices
    )
    grades = forms.MultipleChoiceField(
        label=_("Customer grades"), required=False, choices=Grade.choices
    )
    tags = forms.MultipleChoiceField(label=_("Customer tags"), required=False)
    groups = forms.MultipleChoiceField(label=_("Customer groups"), required=False)

    class Meta:
        model = CarePlan
        fields = [
            "name",
            "is_active",
            "occasion",
            "audience",
            "days_before",
            "event_type",
            "days_after",
            "first_only",
            "assign_to",
            "assignee",
            "team",
            "subject",
            "priority",
            "template",
        ]
        widgets = {"event_type": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["yearly_date"].choices = [
            ("", "---------"),
            *occasions.all_date_field_choices(),
        ]
        self.fields["event_type"].widget.choices = [("", "---------"), *triggers.choices()]
        self.fields["tags"].choices = grouping.tag_choices()
        self.fields["groups"].choices = [
            (str(pk), name)
            for pk, name in Group.objects.filter(entity="account").values_list("pk", "name")
        ]
        self.fields["assignee"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["template"].queryset = MessageTemplate.objects.filter(is_active=True)
        self.fields["audience"].help_text = _("For a yearly date, the date chosen decides it.")
        plan = self.instance
        if plan.pk and not self.is_bound:
            if plan.occasion == Occasion.YEARLY and plan.date_field:
                self.initial["yearly_date"] = f"{plan.audience}:{plan.date_field}"
            for name, key in FILTER_FIELDS.items():
                self.initial[name] = (plan.account_filters or {}).get(key, [])
        order = ["name", "is_active", "occasion", "yearly_date", "days_before", "event_type"]
        order += ["days_after", "first_only", "audience", *FILTER_FIELDS, "assign_to"]
        order += ["assignee", "team", "subject", "priority", "template"]
        self.order_fields(order)

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        unknown = placeholders.unknown(subject)
        if unknown:
            raise forms.ValidationError(
                _("Unknown placeholders: %(names)s.") % {"names": ", ".join(unknown)}
            )
        return subject

    def clean(self):
        data = super().clean()
        occasion = data.get("occasion")
        if occasion == Occasion.YEARLY:
            self._clean_yearly(data)
        elif occasion == Occasion.EVENT:
            self._clean_event(data)
        assign_to = data.get("assign_to")
        if assign_to == AssignTo.USER and not data.get("assignee"):
            self.add_error("assignee", _("Choose the user who gets the tasks."))
        if assign_to == AssignTo.TEAM:
            team = data.get("team")
            if team is None:
                self.add_error("team", _("Choose the team whose members get the tasks in turn."))
            elif not team.members.filter(is_active=True).exists():
                self.add_error("team", _("This team has no active members."))
        return data

    def _clean_yearly(self, data) -> None:
        choice = data.get("yearly_date") or ""
        audience, _sep, field = choice.partition(":")
        if not field or choice not in dict(occasions.all_date_field_choices()):
            self.add_error("yearly_date", _("Choose the date that comes back every year."))
            return
        data["audience"] = audience
        if (data.get("days_before") or 0) > MAX_DAYS_BEFORE:
            self.add_error(
                "days_before",
                _("Create the task at most %(days)s days before.") % {"days": MAX_DAYS_BEFORE},
            )

    def _clean_event(self, data) -> None:
        if triggers.get(data.get("event_type") or "") is None:
            self.add_error("event_type", _("Choose the event to follow up."))
        if (data.get("days_after") or 0) > MAX_DAYS_AFTER:
            self.add_error(
                "days_after",
                _("Follow up at most %(days)s days after.") % {"days": MAX_DAYS_AFTER},
            )
        if data.get("audience") not in Audience.values:
            self.add_error("audience", _("Choose whom the plan covers."))

    def save(self, commit=True):
        plan = super().save(commit=False)
        data = self.cleaned_data
        if plan.occasion == Occasion.YEARLY:
            plan.audience, _sep, plan.date_field = data["yearly_date"].partition(":")
            plan.event_type, plan.days_after, plan.first_only = "", 0, False
        else:
            plan.date_field, plan.days_before = "", 0
        plan.account_filters = {
            key: list(data.get(name) or []) for name, key in FILTER_FIELDS.items() if data.get(name)
        }
        if commit:
            plan.save()
        return plan
