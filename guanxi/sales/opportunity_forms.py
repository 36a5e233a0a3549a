"""Forms of opportunities: the deal itself, its contacts, product lines and competitors."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.choices import Action
from guanxi.core.forms import EntityForm
from guanxi.core.widgets import AutocompleteSelect
from guanxi.customers.choices import AccountType, ContactRole
from guanxi.customers.models import Account, Contact
from guanxi.sales.models import Opportunity, Pipeline, Stage
from guanxi.sales.opportunity_services import stage_problems
from guanxi.sales.pipeline_services import pipeline_default

PARTNER_TYPES = (AccountType.PARTNER, AccountType.RESELLER)
SYNC_PROBABILITY = (
    "const chosen = this.selectedOptions[0]; const box = this.form.elements.probability;"
    " if (chosen && box && chosen.dataset.probability) box.value = chosen.dataset.probability;"
)


class StageSelect(forms.Select):
    """A stage select whose options carry the stage's default probability."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-probability"] = instance.probability
        return option


def stage_queryset(pipeline_id):
    return Stage.objects.filter(pipeline_id=pipeline_id, is_archived=False).order_by("position")


class OpportunityForm(EntityForm):
    """Edit a deal: choosing a pipeline offers its stages; the stage sets the probability."""

    entity_name = "opportunity"

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "account",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "probability",
            "forecast_category",
            "expected_close",
            "source",
            "next_step",
            "partner",
            "owner",
            "description",
            "close_reason",
            "close_note",
        ]
        widgets = {
            "expected_close": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
            "stage": StageSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pipelines = Pipeline.objects.filter(is_active=True)
        if self.instance.pk:
            pipelines = Pipeline.objects.filter(pk=self.instance.pipeline_id) | pipelines
        self.fields["pipeline"].queryset = pipelines.distinct().order_by("position", "id")
        pipeline_id = self._chosen_pipeline_id()
        self.fields["stage"].queryset = stage_queryset(pipeline_id)
        self.fields["probability"].required = False
        self.fields["pipeline"].widget.attrs.update(
            {
                "hx-get": "/opportunities/stages/",
                "hx-target": "#id_stage",
                "hx-swap": "innerHTML",
                "data-testid": "pipeline-select",
            }
        )
        # Choosing a stage (or a pipeline, which reloads the stages) proposes its probability.
        self.fields["stage"].widget.attrs.update(
            {"hx-on:change": SYNC_PROBABILITY, "hx-on::after-swap": SYNC_PROBABILITY}
        )
        self.fields["account"].widget.attrs["data-testid"] = "account-select"

    def _chosen_pipeline_id(self):
        raw = self.data.get(self.add_prefix("pipeline")) if self.is_bound else None
        if raw and str(raw).isdigit():
            return int(raw)
        if self.instance.pipeline_id:
            return self.instance.pipeline_id
        initial = self.initial.get("pipeline")
        if initial:
            return getattr(initial, "pk", initial)
        default = pipeline_default()
        self.initial["pipeline"] = default.pk
        first = stage_queryset(default.pk).first()
        if first is not None:
            self.initial.setdefault("stage", first.pk)
            self.initial.setdefault("probability", first.probability)
        return default.pk

    def clean_partner(self):
        partner = self.cleaned_data.get("partner")
        if partner is not None and partner.account_type not in PARTNER_TYPES:
            raise forms.ValidationError(
                _("Choose a customer whose type is “Partner” or “Reseller / agent”."),
                code="partner",
            )
        return partner

    def clean(self):
        cleaned = super().clean()
        stage, pipeline = cleaned.get("stage"), cleaned.get("pipeline")
        if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", _("Choose a stage of the chosen pipeline."))
            return cleaned
        if stage is not None:
            probability = cleaned.get("probability")
            stage_changed = not self.instance.pk or "stage" in self.changed_data
            if probability is None or (stage_changed and "probability" not in self.changed_data):
                cleaned["probability"] = 100 if stage.is_won else stage.probability
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        stage = self.cleaned_data.get("stage")
        if stage is None or self.errors:
            return
        if self.instance.pk and "stage" not in self.changed_data:
            return
        probe = self.instance
        probe.stage = stage
        for field, messages in stage_problems(
            probe, stage, self.cleaned_data.get("close_reason") or ""
        ).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class ContactRoleForm(forms.Form):
    """Add a contact to a deal, with their role in the decision."""

    contact = forms.ModelChoiceField(label=gettext_lazy("Contact"), queryset=Contact.objects.none())
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[("", "---------"), *ContactRole.choices],
        required=False,
    )
    is_primary = forms.BooleanField(label=gettext_lazy("Primary contact"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["contact"]
        field.queryset = Contact.objects.visible_to(user, Action.VIEW)
        field.widget = AutocompleteSelect(entity="contact", attrs={"data-testid": "contact-select"})
        field.widget.choices = field.choices


class LineForm(forms.Form):
    """Add or change a product line of a deal."""

    product_name = forms.CharField(label=gettext_lazy("Product"), max_length=200)
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity"), min_value=0, max_digits=12, decimal_places=2, initial=1
    )
    unit_price = forms.DecimalField(
        label=gettext_lazy("Unit price"), min_value=0, max_digits=18, decimal_places=2
    )
    discount_percent = forms.DecimalField(
        label=gettext_lazy("Discount (%)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        required=False,
        initial=0,
    )


class CompetitorForm(forms.Form):
    """Put a competitor on a deal with their price, strengths and weaknesses."""

    competitor = forms.ModelChoiceField(
        label=gettext_lazy("Competitor"), queryset=Account.objects.none()
    )
    price = forms.DecimalField(
        label=gettext_lazy("Their price"),
        min_value=0,
        max_digits=18,
        decimal_places=2,
        required=False,
    )
    strengths = forms.CharField(label=gettext_lazy("Strengths"), max_length=300, required=False)
    weaknesses = forms.CharField(label=gettext_lazy("Weaknesses"), max_length=300, required=False)
    is_winner = forms.BooleanField(label=gettext_lazy("Won the deal"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["competitor"]
        field.queryset = Account.objects.visible_to(user, Action.VIEW).filter(
            account_type=AccountType.COMPETITOR
        )
        field.widget.attrs["data-testid"] = "competitor-select"
