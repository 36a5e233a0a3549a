"""Settings screens: custom fields here; the organisation in `org`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import include, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import registry
from guanxi.core.choices import CustomFieldType
from guanxi.core.customfields import validate_definition_key
from guanxi.core.models import CustomField
from guanxi.web.views import org, tag_settings
from guanxi.web.views.decorators import settings_required
from guanxi.web.views.duplicate_settings import duplicate_rules


@settings_required
def settings_home(request):
    return render(
        request,
        "web/settings/home.html",
        {"settings_section": "home", "entities": registry.entities()},
    )


class CustomFieldForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=gettext_lazy("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line: value | English label | 中文标签"),
    )

    class Meta:
        model = CustomField
        fields = [
            "key",
            "label_en",
            "label_zh",
            "field_type",
            "required",
            "help_text",
            "position",
            "show_in_list",
        ]

    def __init__(self, *args, entity: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        if self.instance.pk:
            self.fields["key"].disabled = True
            self.fields["field_type"].disabled = True
            self.initial["choices_text"] = "\n".join(
                " | ".join([str(c.get("value", "")), c.get("label_en", ""), c.get("label_zh", "")])
                for c in self.instance.choices
            )

    def clean_key(self):
        key = self.cleaned_data["key"]
        validate_definition_key(key)
        model = registry.get(self.entity).model
        taken = {f.name for f in model._meta.get_fields()}
        if key in taken:
            raise forms.ValidationError(_("This key is already a standard field."), code="taken")
        clash = CustomField.objects.filter(entity=self.entity, key=key).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                _("A custom field with this key exists already."), code="unique"
            )
        return key

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("field_type") or self.instance.field_type
        choices = []
        for line in (cleaned.get("choices_text") or "").splitlines():
            parts = [part.strip() for part in line.split("|")]
            if not parts[0]:
                continue
            label_en = parts[1] if len(parts) > 1 and parts[1] else parts[0]
            label_zh = parts[2] if len(parts) > 2 else ""
            choices.append({"value": parts[0], "label_en": label_en, "label_zh": label_zh})
        if kind in (CustomFieldType.CHOICE, CustomFieldType.MULTI_CHOICE) and not choices:
            self.add_error("choices_text", _("A choice field needs at least one choice."))
        if len({c["value"] for c in choices}) != len(choices):
            self.add_error("choices_text", _("Each choice needs its own value."))
        cleaned["choices"] = choices
        return cleaned

    def save(self, commit=True):
        self.instance.entity = self.entity
        self.instance.choices = self.cleaned_data["choices"]
        return super().save(commit)


@settings_required
def custom_field_list(request, entity_name: str):
    entity = registry.find(entity_name)
    if entity is None:
        raise PermissionDenied
    fields = CustomField.objects.filter(entity=entity.name)
    return render(
        request,
        "web/settings/custom_fields.html",
        {
            "settings_section": "custom_fields",
            "entity": entity,
            "fields": fields,
            "entities": registry.entities(),
        },
    )


@settings_required
def custom_field_edit(request, entity_name: str, pk: int | None = None):
    """Create or change a custom field; it appears at once in forms, lists, exports and API."""
    entity = registry.find(entity_name)
    if entity is None:
        raise PermissionDenied
    instance = get_object_or_404(CustomField, pk=pk, entity=entity.name) if pk else None
    form = CustomFieldForm(request.POST or None, instance=instance, entity=entity.name)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, _("The custom field was saved."))
        return redirect("web:custom_field_list", entity_name=entity.name)
    return render(
        request,
        "web/settings/custom_field_form.html",
        {"settings_section": "custom_fields", "entity": entity, "form": form, "instance": instance},
        status=400 if form.errors else 200,
    )


@settings_required
def custom_field_delete(request, entity_name: str, pk: int):
    """Remove a custom field definition; stored values stay in the records' history."""
    field = get_object_or_404(CustomField, pk=pk, entity=entity_name)
    if request.method == "POST":
        field.delete()
        messages.success(request, _("The custom field was deleted."))
        return redirect("web:custom_field_list", entity_name=entity_name)
    return render(
        request,
        "web/settings/custom_field_delete.html",
        {"settings_section": "custom_fields", "field": field, "entity": registry.get(entity_name)},
    )


urlpatterns = [
    path("", settings_home, name="settings"),
    path("fields/<str:entity_name>/", custom_field_list, name="custom_field_list"),
    path("fields/<str:entity_name>/new/", custom_field_edit, name="custom_field_create"),
    path("fields/<str:entity_name>/<int:pk>/", custom_field_edit, name="custom_field_edit"),
    path(
        "fields/<str:entity_name>/<int:pk>/delete/", custom_field_delete, name="custom_field_delete"
    ),
    path("duplicates/<str:entity_name>/", duplicate_rules, name="duplicate_rules"),
    path("org/", include(org.urlpatterns)),
    *tag_settings.urlpatterns,
]
