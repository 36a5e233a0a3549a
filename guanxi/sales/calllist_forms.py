"""Forms of telesales: the call list record, building one from a selection, a call's outcome."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.activities.forms import DATETIME_WIDGET
from guanxi.core.choices import Action
from guanxi.core.forms import EntityForm
from guanxi.core.models import User
from guanxi.core.permissions import can
from guanxi.sales.calllist_choices import SplitMethod
from guanxi.sales.models import CallList, CallOutcome, CompetitorProduct

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class CallListForm(EntityForm):
    entity_name = "calllist"

    class Meta:
        model = CallList
        fields = ["name", "entity", "status", "description", "owner"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


def rep_choices(user: User) -> list[tuple[str, str]]:
    """Return the reps a user may hand entries to: anyone active when they may assign."""
    if not can(user, "calllist", Action.ASSIGN):
        return [(str(user.pk), str(user))]
    return [
        (str(rep.pk), str(rep)) for rep in User.objects.filter(is_active=True).order_by("username")
    ]


class CallListBuildForm(forms.Form):
    """Ask for the list's name and how to split the selected records among reps."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    reps = forms.MultipleChoiceField(
        label=gettext_lazy("Reps"), widget=forms.SelectMultiple(attrs={"size": 6})
    )
    method = forms.ChoiceField(
        label=gettext_lazy("Split"),
        choices=SplitMethod.choices,
        initial=SplitMethod.EVENLY,
        widget=forms.RadioSelect,
    )
    counts = forms.CharField(
        label=gettext_lazy("Records per rep"),
        required=False,
        help_text=gettext_lazy(
            "With split by chosen counts: numbers in the order of the reps, e.g. 30, 20."
        ),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reps"].choices = rep_choices(user)
        self.fields["reps"].initial = [str(user.pk)]

    def clean_counts(self) -> list[int]:
        text = (self.cleaned_data.get("counts") or "").replace("，", ",")
        try:
            return [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("Enter whole numbers separated by commas.")) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") == SplitMethod.COUNTS:
            counts, reps = cleaned.get("counts") or [], cleaned.get("reps") or []
            if len(counts) != len(reps):
                self.add_error("counts", _("Give a number of records for each rep."))
        return cleaned


class OutcomeForm(forms.Form):
    """Record one call: the outcome code, a note and an optional callback time."""

    outcome = forms.ModelChoiceField(
        label=gettext_lazy("Outcome"),
        queryset=CallOutcome.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose an outcome.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    callback_at = forms.DateTimeField(
        label=gettext_lazy("Call back at"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=DATETIME_FORMATS,
    )


class CallOutcomeForm(forms.ModelForm):
    class Meta:
        model = CallOutcome
        fields = [
            "code",
            "name_zh",
            "name_en",
            "is_connected",
            "closes_entry",
            "position",
            "is_active",
        ]


class CompetitorProductForm(forms.ModelForm):
    class Meta:
        model = CompetitorProduct
        fields = [
            "name",
            "price_min",
            "price_max",
            "currency",
            "strengths",
            "weaknesses",
            "counter_arguments",
            "notes",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in ("strengths", "weaknesses", "counter_arguments", "notes")
        }

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The upper price is below the lower one."))
        return cleaned
