"""Forms of the loyalty programme and of classification rules, shared by screens and API."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from guanxi.customers import classification
from guanxi.customers.choices import ClassificationField, Operator, PointsKind
from guanxi.customers.models import ClassificationRule, EarningRule, MembershipLevel

CONDITION_ROWS = 5


class MembershipLevelForm(forms.ModelForm):
    class Meta:
        model = MembershipLevel
        fields = ["name", "name_en", "threshold", "colour", "allow_negative", "benefits"]
        widgets = {"benefits": forms.Textarea(attrs={"rows": 3})}


class EarningRuleForm(forms.ModelForm):
    class Meta:
        model = EarningRule
        fields = ["name", "event", "points_fixed", "points_per_unit", "valid_days", "active"]

    def clean_event(self):
        event = self.cleaned_data["event"].strip()
        if not event or " " in event or "." not in event:
            raise forms.ValidationError(
                _("Enter an event name like order.paid."), code="invalid_event"
            )
        return event

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("points_fixed") and not cleaned.get("points_per_unit"):
            raise forms.ValidationError(
                _("Give fixed points, points per currency unit, or both."), code="no_points"
            )
        return cleaned


class PointsForm(forms.Form):
    """Earn, redeem or adjust an account's points by hand."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[
            (PointsKind.EARN.value, gettext_lazy("Earn")),
            (PointsKind.REDEEM.value, gettext_lazy("Redeem")),
            (PointsKind.ADJUST.value, gettext_lazy("Adjust")),
        ],
    )
    points = forms.IntegerField(
        label=gettext_lazy("Points"),
        help_text=gettext_lazy("For an adjustment, a negative number takes points away."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


def _choice_code(found: classification.Metric, text: str) -> str | None:
    """Return the choice code a user typed as a code or as its English or Chinese label."""
    wanted = text.strip().casefold()
    for language in ("en", "zh-hans"):
        with override(language):
            for code, label in found.choices():
                if wanted in (str(code).casefold(), str(label).casefold()):
                    return str(code)
    return None


def clean_conditions(conditions) -> tuple[list[dict], list[str]]:
    """Validate conditions and turn choice labels into their codes."""
    cleaned, errors = classification.validate_conditions(conditions)
    for index, condition in enumerate(cleaned, start=1):
        found = classification.metric(condition["metric"])
        if found.choices is None or not condition["value"]:
            continue
        codes = []
        for part in condition["value"].split(","):
            code = _choice_code(found, part)
            if code is None:
                errors.append(
                    _("Condition %(n)s: “%(value)s” is not one of the choices of %(metric)s.")
                    % {"n": index, "value": part.strip(), "metric": found.label}
                )
            codes.append(code or part.strip())
        condition["value"] = ",".join(codes)
    return cleaned, errors


class ClassificationRuleForm(forms.ModelForm):
    """Edit a rule: the field and value it sets, and up to five conditions that must all hold."""

    class Meta:
        model = ClassificationRule
        fields = ["name", "field", "value", "priority", "active"]

    def __init__(self, *args, conditions: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.api_conditions = conditions
        self.fields["value"] = forms.ChoiceField(
            label=gettext_lazy("Value to set"),
            choices=[
                (str(ClassificationField(field).label), classification.field_value_choices(field))
                for field in ClassificationField.values
            ],
        )
        self.fields["priority"].help_text = _(
            "Rules of the same field are tried from the lowest number up; the first that "
            "matches sets the value."
        )
        metric_choices = [("", "—")] + [(m.key, m.label) for m in classification.metrics()]
        stored = list(self.instance.conditions or []) if self.instance.pk else []
        for row in range(1, CONDITION_ROWS + 1):
            initial = stored[row - 1] if row <= len(stored) else {}
            self.fields[f"metric_{row}"] = forms.ChoiceField(
                label=_("Condition %(n)s") % {"n": row},
                choices=metric_choices,
                required=False,
                initial=initial.get("metric", ""),
            )
            self.fields[f"operator_{row}"] = forms.ChoiceField(
                label=_("Comparison"),
                choices=Operator.choices,
                required=False,
                initial=initial.get("operator", Operator.GTE),
            )
            self.fields[f"operand_{row}"] = forms.CharField(
                label=_("Value"),
                required=False,
                initial=initial.get("value", ""),
                help_text=_("Several values: separate them with commas."),
            )

    def main_fields(self) -> list:
        return [self[name] for name in self._meta.fields]

    def condition_rows(self) -> list[tuple]:
        """Return the bound fields of each condition row, for the template."""
        return [
            (self[f"metric_{row}"], self[f"operator_{row}"], self[f"operand_{row}"])
            for row in range(1, CONDITION_ROWS + 1)
        ]

    def clean(self):
        cleaned = super().clean()
        field, value = cleaned.get("field"), cleaned.get("value")
        if field and value and value not in dict(classification.field_value_choices(field)):
            self.add_error("value", _("Choose a value of the field the rule sets."))
        if self.api_conditions is not None:
            raw = self.api_conditions
        else:
            raw = [
                {
                    "metric": cleaned.get(f"metric_{row}"),
                    "operator": cleaned.get(f"operator_{row}"),
                    "value": cleaned.get(f"operand_{row}", ""),
                }
                for row in range(1, CONDITION_ROWS + 1)
                if cleaned.get(f"metric_{row}")
            ]
        conditions, errors = clean_conditions(raw)
        for error in errors:
            self.add_error(None, error)
        self.instance.conditions = conditions
        return cleaned
