"""The base form of every registered entity: user-aware choices, custom fields, version."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext as _

from guanxi.core import customfields, grouping, privacy, registry
from guanxi.core.choices import Action
from guanxi.core.models import User
from guanxi.core.permissions import can
from guanxi.core.widgets import AutocompleteSelect, AutocompleteSelectMultiple

# A hidden field beside the tag box: its presence says the form set the tags.
SENT_SUFFIX = "__sent"


class TagsWidget(forms.SelectMultiple):
    """A multiple select the page turns into a tag box; a marker says the box was sent.

    A select with nothing chosen sends nothing, which must still clear the tags on a form
    but leave them alone on an API call that does not mention them.
    """

    def render(self, name, value, attrs=None, renderer=None):
        hidden = format_html('<input type="hidden" name="{}" value="1">', name + SENT_SUFFIX)
        return super().render(name, value, attrs, renderer) + hidden


class TagsField(forms.MultipleChoiceField):
    """Choose tags by name; a name not yet used creates the tag when the record is saved."""

    def valid_value(self, value) -> bool:
        return bool(grouping.clean_tag_names([value]))

    def clean(self, value):
        return grouping.clean_tag_names(super().clean(value) or [])


class EntityForm(forms.ModelForm):
    """Edit one record of a registered entity on behalf of a user.

    Foreign keys to other entities offer only records the user may view (through an
    autocomplete, as there may be millions); the owner may be someone else only for users
    allowed to assign; custom fields are added from their definitions.
    """

    entity_name: str = ""

    def __init__(self, *args, user: User, **kwargs):
        entity = registry.find(self.entity_name)
        masked = entity is not None and privacy.masks_personal_data(user)
        if masked and args:
            args = (privacy.restore_masked(entity, args[0], kwargs.get("instance")), *args[1:])
        super().__init__(*args, **kwargs)
        self.user = user
        if masked and self.instance.pk:
            for name in set(entity.personal_fields) & set(self.fields):
                self.initial[name] = privacy.shown(entity, name, getattr(self.instance, name), True)
        if entity is not None and entity.has_tags:
            self._add_tags_field()
        self.custom_definitions = customfields.definitions(self.entity_name)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                self._scope_choices(name, field)
        for definition in self.custom_definitions:
            name = customfields.FORM_PREFIX + definition.key
            self.fields[name] = customfields.form_field(definition)
            if self.instance.pk or self.instance.custom:
                self.initial[name] = customfields.to_initial(
                    definition, self.instance.custom.get(definition.key)
                )
        if "owner" in self.fields and not self.instance.pk:
            self.initial.setdefault("owner", user.pk)

    def _add_tags_field(self) -> None:
        names = grouping.tag_choices()
        current = []
        if self.instance.pk:
            current = [
                tag.name
                for tag in grouping.tags_by_record(self.entity_name, [self.instance.pk]).get(
                    self.instance.pk, []
                )
            ]
        self.fields["tags"] = TagsField(
            label=_("Tags"),
            required=False,
            choices=[(name, name) for name, _label in names],
            widget=TagsWidget(attrs={"data-tags": "1"}),
        )
        self.initial.setdefault("tags", current)

    def tags_sent(self) -> bool:
        """Tell whether the submitted data says what the tags should be."""
        return "tags" in self.fields and ("tags" in self.data or "tags" + SENT_SUFFIX in self.data)

    def _scope_choices(self, name: str, field: forms.ModelChoiceField) -> None:
        model = field.queryset.model
        multiple = isinstance(field, forms.ModelMultipleChoiceField)
        if model is User:
            field.queryset = User.objects.filter(is_active=True).order_by("username")
            if multiple:
                field.widget.attrs["data-choices"] = "1"
            return
        target = registry.for_model(model)
        if target is None:
            return
        field.queryset = model.objects.visible_to(self.user, Action.VIEW)
        widget_class = AutocompleteSelectMultiple if multiple else AutocompleteSelect
        field.widget = widget_class(
            entity=target.name, attrs=field.widget.attrs, choices=field.widget.choices
        )
        field.widget.choices = field.choices

    def clean_owner(self):
        owner = self.cleaned_data.get("owner")
        current = self.instance.owner_id if self.instance.pk else self.user.pk
        owner_id = owner.pk if owner else None
        if owner_id != current and not can(self.user, self.entity_name, Action.ASSIGN):
            raise forms.ValidationError(
                _("You are not allowed to assign records to other users."), code="assign"
            )
        return owner

    def field_changed(self, name: str) -> bool:
        """Tell whether `name` is in changed_data, looking at that field alone."""
        return name in self.fields and self[name]._has_changed()

    def custom_field_names(self) -> list[str]:
        return [customfields.FORM_PREFIX + definition.key for definition in self.custom_definitions]

    def _post_clean(self):
        super()._post_clean()
        custom = dict(self.instance.custom or {})
        for definition in self.custom_definitions:
            name = customfields.FORM_PREFIX + definition.key
            if name in self.cleaned_data:
                value = customfields.to_storage(definition, self.cleaned_data[name])
                if value is None:
                    custom.pop(definition.key, None)
                else:
                    custom[definition.key] = value
        self.instance.custom = custom
