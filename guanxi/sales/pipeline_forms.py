"""Forms of the pipeline settings: the pipeline, its stages, and where a deleted stage's
deals go."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.sales.models import Pipeline, Stage
from guanxi.sales.opportunity_fields import requirable_choices


class PipelineForm(forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name_zh", "name_en", "is_default", "is_active", "position"]


class StageForm(forms.Form):
    """One stage row of the pipeline form; a row left without a name is ignored."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=100, required=False)
    name_en = forms.CharField(label=_("name (English)"), max_length=100, required=False)
    probability = forms.IntegerField(
        label=_("probability (%)"), min_value=0, max_value=100, initial=10
    )
    is_won = forms.BooleanField(label=_("won"), required=False)
    is_lost = forms.BooleanField(label=_("lost"), required=False)
    required_fields = forms.MultipleChoiceField(
        label=_("required fields"),
        required=False,
        widget=forms.SelectMultiple(attrs={"data-choices": "1", "class": "form-select"}),
    )
    rotting_days = forms.IntegerField(
        label=_("rotting after (days)"), min_value=1, max_value=3650, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_fields"].choices = requirable_choices()

    def has_name(self) -> bool:
        return bool((self.cleaned_data.get("name_zh") or "").strip())


StageFormSet = forms.formset_factory(StageForm, extra=2)


def stage_initial(pipeline: Pipeline | None) -> list[dict]:
    if pipeline is None or pipeline.pk is None:
        return []
    return [
        {
            "id": stage.pk,
            "name_zh": stage.name_zh,
            "name_en": stage.name_en,
            "probability": stage.probability,
            "is_won": stage.is_won,
            "is_lost": stage.is_lost,
            "required_fields": stage.required_fields,
            "rotting_days": stage.rotting_days,
        }
        for stage in pipeline.stages.filter(is_archived=False).order_by("position", "id")
    ]


class StageDeleteForm(forms.Form):
    """Choose where the deals of a stage being deleted go."""

    move_to = forms.ModelChoiceField(
        label=_("Move its deals to"), queryset=Stage.objects.none(), required=False
    )

    def __init__(self, *args, stage: Stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_to"].queryset = stage.pipeline.stages.filter(is_archived=False).exclude(
            pk=stage.pk
        )
