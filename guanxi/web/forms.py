"""Forms of the generic screens: sharing and bulk edit."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import customfields
from guanxi.core.choices import ShareAccess
from guanxi.core.models import Team, User
from guanxi.core.registry import Entity


class ShareForm(forms.Form):
    users = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Users"),
        queryset=User.objects.filter(is_active=True),
        required=False,
    )
    teams = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Teams"), queryset=Team.objects.all(), required=False
    )
    access = forms.ChoiceField(
        label=gettext_lazy("Access"), choices=ShareAccess.choices, initial=ShareAccess.READ
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("users") and not cleaned.get("teams"):
            raise forms.ValidationError(_("Choose at least one user or team."), code="required")
        return cleaned


APPLY_PREFIX = "apply_"


class BulkEditForm(forms.Form):
    """Set chosen fields on many records: a field changes only when its box is ticked."""

    def __init__(self, *args, entity: Entity, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        model_form = entity.form_class(user=user)
        self.field_names: list[str] = []
        for name in entity.bulk_edit_fields:
            field = model_form.fields[name]
            field.required = False
            self.fields[name] = field
            self.fields[APPLY_PREFIX + name] = forms.BooleanField(required=False, label="")
            self.field_names.append(name)
        self.definitions = {}
        for definition in customfields.definitions(entity.name):
            name = customfields.FORM_PREFIX + definition.key
            field = customfields.form_field(definition)
            field.required = False
            self.fields[name] = field
            self.fields[APPLY_PREFIX + name] = forms.BooleanField(required=False, label="")
            self.field_names.append(name)
            self.definitions[name] = definition

    def rows(self):
        for name in self.field_names:
            yield self[APPLY_PREFIX + name], self[name]

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(APPLY_PREFIX + name) for name in self.field_names):
            raise forms.ValidationError(_("Tick at least one field to change."), code="required")
        return cleaned

    def changes(self) -> tuple[dict, dict]:
        """Return (model field values, custom field values) of the ticked fields."""
        values, custom = {}, {}
        for name in self.field_names:
            if not self.cleaned_data.get(APPLY_PREFIX + name):
                continue
            value = self.cleaned_data.get(name)
            if name in self.definitions:
                definition = self.definitions[name]
                custom[definition.key] = customfields.to_storage(definition, value)
            else:
                values[name] = value if value is not None else self._empty(name)
        return values, custom

    def _empty(self, name: str):
        model_field = self.entity.model._meta.get_field(name)
        return None if model_field.null else ""
