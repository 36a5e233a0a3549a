"""The triggers of automation rules (触发条件): their settings, checked when a rule is saved.

Each kind has a small form for its settings; the rule editor swaps it in when the kind
changes and the API validates through the same form, so both say the same thing. The
settings are stored as JSON on the rule (`trigger_params`).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import registry
from guanxi.workflow import conditions
from guanxi.workflow.automation_models import TriggerKind

# Entities whose records carry activities (跟进): "no activity for N days" applies to them.
ACTIVITY_ENTITIES = ("account", "contact", "lead", "opportunity")
# Entities with a stage: "a deal enters a stage".
STAGE_ENTITIES = ("opportunity",)
EVENT_KINDS = {
    TriggerKind.CREATED,
    TriggerKind.UPDATED,
    TriggerKind.FIELD_CHANGED,
    TriggerKind.STAGE_ENTERED,
    TriggerKind.STILL_MATCHING,
}
TIME_KINDS = {TriggerKind.DATE_REACHED, TriggerKind.NO_ACTIVITY, TriggerKind.SCHEDULED}
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def applies(kind: str, entity_name: str) -> bool:
    """Tell whether a trigger kind can be used on an entity."""
    if kind == TriggerKind.STAGE_ENTERED:
        return entity_name in STAGE_ENTITIES
    if kind == TriggerKind.NO_ACTIVITY:
        return entity_name in ACTIVITY_ENTITIES
    return True


def kinds_for(entity_name: str) -> list[tuple[str, Any]]:
    return [(value, label) for value, label in TriggerKind.choices if applies(value, entity_name)]


def date_fields(entity_name: str) -> list[tuple[str, str]]:
    """Return the entity's own date fields (custom ones too) a date trigger may watch."""
    return [
        (spec.key, spec.label)
        for spec in conditions.fields_for(entity_name).values()
        if spec.kind in (conditions.DATE, conditions.DATETIME)
        and "." not in spec.key.replace("custom.", "", 1)
    ]


def change_fields(entity_name: str) -> list[tuple[str, str]]:
    """Return the fields whose change a "field changes" trigger may watch (own fields)."""
    return [
        (spec.key, spec.label)
        for spec in conditions.fields_for(entity_name).values()
        if "." not in spec.key.replace("custom.", "", 1)
        and "changed" in conditions.KIND_OPERATORS[spec.kind]
    ]


class TriggerForm(forms.Form):
    """Base of the trigger settings forms: takes the rule's entity."""

    prefix = "trigger"

    def __init__(self, *args, entity_name: str = "", **kwargs):
        self.entity_name = entity_name
        super().__init__(*args, **kwargs)

    def params(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class NoSettingsForm(TriggerForm):
    pass


CHANGE_OPS = [
    ("changed", gettext_lazy("changes")),
    ("changed_to", gettext_lazy("changes to")),
    ("changed_from", gettext_lazy("changes from")),
]


class FieldChangedForm(TriggerForm):
    field = forms.ChoiceField(label=gettext_lazy("Field"))
    op = forms.ChoiceField(label=gettext_lazy("When it"), choices=CHANGE_OPS, initial="changed")
    value = forms.CharField(
        label=gettext_lazy("Value"),
        required=False,
        help_text=gettext_lazy("For “changes to” and “changes from”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = change_fields(self.entity_name)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        rule = {"field": data["field"], "op": data["op"]}
        if data["op"] != "changed":
            rule["value"] = data.get("value")
        cleaned, errors = conditions.validate(self.entity_name, {"match": "all", "rules": [rule]})
        if errors:
            # The message names "Condition 1"; here it is the trigger's value.
            raise forms.ValidationError(
                [error.split(":", 1)[-1].strip() if ":" in error else error for error in errors]
            )
        self.cleaned_rule = cleaned["rules"][0]
        return data

    def params(self) -> dict[str, Any]:
        return dict(self.cleaned_rule)


class StageEnteredForm(TriggerForm):
    stages = forms.MultipleChoiceField(
        label=gettext_lazy("Stages"),
        required=False,
        help_text=gettext_lazy("Leave empty for any stage."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.sales.models import Stage

        self.fields["stages"].choices = [
            (str(stage.pk), f"{stage.pipeline} › {stage}")
            for stage in Stage.objects.select_related("pipeline").order_by(
                "pipeline_id", "position"
            )
        ]

    def params(self) -> dict[str, Any]:
        return {"stages": [int(one) for one in self.cleaned_data["stages"]]}


class DateReachedForm(TriggerForm):
    field = forms.ChoiceField(label=gettext_lazy("Date field"))
    days = forms.IntegerField(
        label=gettext_lazy("Days from the date"),
        min_value=-365,
        max_value=365,
        initial=0,
        help_text=gettext_lazy("Negative for days before the date, e.g. -3; 0 on the day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = date_fields(self.entity_name)


class NoActivityForm(TriggerForm):
    days = forms.IntegerField(label=gettext_lazy("Days without activity"), min_value=1)


FREQUENCIES = [
    ("daily", gettext_lazy("Every day")),
    ("weekly", gettext_lazy("Every week")),
    ("monthly", gettext_lazy("Every month")),
]
WEEKDAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]


class ScheduledForm(TriggerForm):
    frequency = forms.ChoiceField(label=gettext_lazy("Repeat"), choices=FREQUENCIES)
    time = forms.CharField(
        label=gettext_lazy("At (HH:MM)"),
        initial="09:00",
        help_text=gettext_lazy("In the time zone of the user the rule runs as."),
    )
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Weekday"), choices=WEEKDAYS, coerce=int, required=False
    )
    day = forms.IntegerField(
        label=gettext_lazy("Day of the month"), min_value=1, max_value=31, required=False
    )

    def clean_time(self):
        value = self.cleaned_data["time"].strip()
        match = TIME_RE.match(value)
        if not match:
            raise forms.ValidationError(_("Enter a time as HH:MM, e.g. 09:30."))
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    def clean(self):
        data = super().clean()
        if data.get("frequency") == "weekly" and data.get("weekday") in (None, ""):
            self.add_error("weekday", _("Choose the weekday."))
        if data.get("frequency") == "monthly" and not data.get("day"):
            self.add_error("day", _("Enter the day of the month."))
        return data

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        params = {"frequency": data["frequency"], "time": data["time"]}
        if data["frequency"] == "weekly":
            params["weekday"] = data["weekday"]
        if data["frequency"] == "monthly":
            params["day"] = data["day"]
        return params


class StillMatchingForm(TriggerForm):
    hours = forms.IntegerField(
        label=gettext_lazy("Business hours"),
        min_value=1,
        max_value=2000,
        help_text=gettext_lazy(
            "The actions run when a record still meets the conditions this many business "
            "hours after it started to."
        ),
    )
    team = forms.TypedChoiceField(
        label=gettext_lazy("Business calendar of the team"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("Leave empty for the default working hours."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from guanxi.core.models import Team

        self.fields["team"].choices = [("", "—")] + [
            (team.pk, team.name) for team in Team.objects.order_by("name")
        ]


FORMS: dict[str, type[TriggerForm]] = {
    TriggerKind.CREATED: NoSettingsForm,
    TriggerKind.UPDATED: NoSettingsForm,
    TriggerKind.FIELD_CHANGED: FieldChangedForm,
    TriggerKind.STAGE_ENTERED: StageEnteredForm,
    TriggerKind.DATE_REACHED: DateReachedForm,
    TriggerKind.NO_ACTIVITY: NoActivityForm,
    TriggerKind.SCHEDULED: ScheduledForm,
    TriggerKind.STILL_MATCHING: StillMatchingForm,
}


def form_for(kind: str, entity_name: str, data=None, params=None) -> TriggerForm:
    """Build the settings form of a trigger kind, bound to `data` (posted) or `params`."""
    form_class = FORMS.get(kind, NoSettingsForm)
    if data is None and params is not None:
        data = {f"trigger-{key}": value for key, value in params.items()}
        return form_class(data=_as_form_data(data), entity_name=entity_name)
    return form_class(data=data, entity_name=entity_name)


def _as_form_data(data: dict[str, Any]):
    from django.utils.datastructures import MultiValueDict

    return MultiValueDict(
        {
            key: [str(one) for one in value]
            if isinstance(value, list)
            else ["" if value is None else str(value)]
            for key, value in data.items()
        }
    )


def validate(entity_name: str, kind: str, params: Any) -> tuple[dict[str, Any], list[str]]:
    """Return a trigger's settings cleaned for storage and the error messages."""
    if registry.find(entity_name) is None:
        return {}, [_("Choose a record type.")]
    if kind not in FORMS:
        return {}, [_("Choose a trigger.")]
    if not applies(kind, entity_name):
        return {}, [
            _("The trigger “%(trigger)s” cannot be used on %(entity)s.")
            % {
                "trigger": TriggerKind(kind).label,
                "entity": registry.get(entity_name).verbose_name_plural,
            }
        ]
    if not isinstance(params, dict):
        return {}, [_("The trigger settings are not valid.")]
    form = form_for(kind, entity_name, params=params)
    if not form.is_valid():
        errors = []
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            errors += [f"{label}: {message}" if label else str(message) for message in messages]
        return {}, errors
    return form.params(), []


def describe(entity_name: str, kind: str, params: dict[str, Any]) -> str:
    """Return the trigger as a short phrase in the active language."""
    label = str(TriggerKind(kind).label) if kind in TriggerKind.values else kind
    fields = conditions.fields_for(entity_name) if registry.find(entity_name) else {}
    if kind == TriggerKind.FIELD_CHANGED:
        return conditions.describe(entity_name, {"match": "all", "rules": [params]})
    if kind == TriggerKind.DATE_REACHED:
        spec = fields.get(params.get("field", ""))
        return _("%(days)s days from %(field)s") % {
            "days": params.get("days", 0),
            "field": spec.label if spec else params.get("field", ""),
        }
    if kind == TriggerKind.NO_ACTIVITY:
        return _("No activity for %(days)s days") % {"days": params.get("days")}
    if kind == TriggerKind.SCHEDULED:
        return f"{dict(FREQUENCIES).get(params.get('frequency'), '')} {params.get('time', '')}"
    if kind == TriggerKind.STILL_MATCHING:
        return _("Still matching after %(hours)s business hours") % {"hours": params.get("hours")}
    return label
