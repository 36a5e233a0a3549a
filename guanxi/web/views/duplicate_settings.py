"""Settings screen of the duplicate rules: each compared field's weight and the threshold."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import registry
from guanxi.core.dedupe import rules_for
from guanxi.core.models import DuplicateRule
from guanxi.web.views.decorators import settings_required


class DuplicateRuleForm(forms.Form):
    """Edit an entity's threshold and field weights, as whole percentages."""

    threshold = forms.IntegerField(
        label=gettext_lazy("Threshold (%)"),
        min_value=50,
        max_value=100,
        help_text=gettext_lazy(
            "Records scoring at least this much are reported as possible duplicates."
        ),
    )

    def __init__(self, *args, entity, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        rules = rules_for(entity)
        self.initial.setdefault("threshold", round(rules.threshold * 100))
        for rule in rules.fields:
            name = f"weight_{rule.key}"
            self.fields[name] = forms.IntegerField(
                label=_("Weight of %(field)s (%%)") % {"field": rule.label},
                min_value=0,
                max_value=100,
                help_text=_("0 leaves the field out of the comparison."),
            )
            self.initial.setdefault(name, round(rule.weight * 100))

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"weight_{rule.key}") for rule in self.entity.duplicates.fields):
            raise forms.ValidationError(_("Give at least one field a weight."))
        return cleaned

    def save(self, user) -> DuplicateRule:
        weights = {
            rule.key: self.cleaned_data[f"weight_{rule.key}"] / 100
            for rule in self.entity.duplicates.fields
        }
        rule, _created = DuplicateRule.objects.update_or_create(
            entity=self.entity.name,
            defaults={
                "threshold": self.cleaned_data["threshold"] / 100,
                "weights": weights,
                "updated_by": user,
            },
        )
        return rule


@settings_required
def duplicate_rules(request, entity_name: str):
    """Change how an entity's duplicates are found; every entry path uses the rules at once."""
    entity = registry.find(entity_name)
    if entity is None or entity.duplicates is None:
        raise Http404
    form = DuplicateRuleForm(request.POST or None, entity=entity)
    if request.method == "POST" and form.is_valid():
        form.save(request.user)
        messages.success(request, _("The duplicate rules were saved."))
        return redirect("web:duplicate_rules", entity_name=entity.name)
    methods = {rule.key: rule for rule in entity.duplicates.fields}
    return render(
        request,
        "web/settings/duplicate_rules.html",
        {
            "settings_section": "duplicate_rules",
            "entity": entity,
            "form": form,
            "methods": methods,
        },
        status=400 if form.errors else 200,
    )
