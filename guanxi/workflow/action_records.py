"""Actions that change the record itself: set field values (更新字段), add it to a group.

Values are checked by the field's own form field when the rule is saved, and written as an
edit of the record by the rule's user: the entity's form validates them again with the
record's other values, and `core.services.record_update` checks the permission, the data
scope and the record's version, writes the history and emits the event.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import customfields, grouping, registry
from guanxi.core.choices import Action
from guanxi.core.models import Group, GroupMember
from guanxi.core.permissions import can, require
from guanxi.core.services import StaleRecord, record_update
from guanxi.workflow import action_common as common
from guanxi.workflow.actions import (
    ActionContext,
    ActionFailed,
    ActionType,
    ParamsForm,
    register_action,
)

CUSTOM = "custom."
MAX_VALUES = 20


# --- writing values as an edit -------------------------------------------------------------


def editable_fields(entity_name: str) -> dict[str, models.Field]:
    """Return the model fields an edit form of the entity sets, by name."""
    entity = registry.get(entity_name)
    found = {}
    for name in entity.form_class._meta.fields:
        try:
            model_field = entity.model._meta.get_field(name)
        except Exception:
            continue
        if getattr(model_field, "editable", False) and not model_field.many_to_many:
            found[name] = model_field
    return found


def record_set_values(
    context: ActionContext, values: dict[str, Any], custom: dict[str, Any], *, what: str
) -> models.Model:
    """Save the record with these values as its edit form would, acting as the rule's user.

    Raise ActionFailed with the reason when the user may not, the values do not pass the
    form, or the record changed since the rule read it.
    """
    from guanxi.api.generic import current_values

    actor = common.require_actor(context)
    entity = registry.get(context.entity_name)
    record = context.record
    with common.acting(context, what):
        require(actor, entity.name, Action.EDIT)
        if "owner" in values:
            require(actor, entity.name, Action.ASSIGN)
        data = current_values(entity, record)
        data.update(values)
        definitions = {d.key: d for d in customfields.definitions(entity.name)}
        for key, value in custom.items():
            definition = definitions.get(key)
            if definition is None:
                raise ActionFailed(_("There is no custom field “%(key)s”.") % {"key": key})
            data[customfields.FORM_PREFIX + key] = customfields.api_value(definition, value)
        data = {key: value for key, value in data.items() if value is not None}
        form = entity.form_class(data, instance=record, user=actor)
        if not form.is_valid():
            raise ActionFailed(common.form_errors(form))
        try:
            saved = record_update(
                actor=actor,
                entity=entity,
                form=form,
                expected_version=getattr(record, "version", None),
            )
        except StaleRecord as error:
            raise ActionFailed(str(error.message)) from None
    context.record = saved
    return saved


# --- update fields -----------------------------------------------------------------------


def _stored(value: Any) -> Any:
    """Return a cleaned form value as JSON keeps it."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)) or hasattr(value, "model"):
        return [_stored(item) for item in value]
    return value


def clean_values(entity_name: str, values: Any) -> tuple[dict[str, Any], list[str]]:
    """Return the values checked field by field (stored shape) and the error messages."""
    if not isinstance(values, dict) or not values:
        return {}, [_("Enter at least one field and its value.")]
    if len(values) > MAX_VALUES:
        return {}, [_("Set at most %(count)s fields in one action.") % {"count": MAX_VALUES}]
    fields = editable_fields(entity_name)
    definitions = {d.key: d for d in customfields.definitions(entity_name)}
    cleaned: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in values.items():
        key = str(key)
        if key.startswith(CUSTOM) and key[len(CUSTOM) :] in definitions:
            definition = definitions[key[len(CUSTOM) :]]
            form_field = customfields.form_field(definition)
            label = definition.label
        elif key in fields:
            form_field = fields[key].formfield()
            label = str(fields[key].verbose_name).capitalize()
        else:
            errors.append(_("“%(field)s” is not a field you can set here.") % {"field": key})
            continue
        try:
            value = customfields.api_value(definition, value) if key.startswith(CUSTOM) else value
            cleaned[key] = _stored(form_field.clean(value))
        except ValidationError as error:
            errors += [f"{label}: {message}" for message in error.messages]
    return cleaned, errors


class JSONValuesField(forms.CharField):
    """Field values as a JSON object: {"status": "qualified", "custom.level": "A"}."""

    widget = forms.Textarea(attrs={"rows": 4})

    def to_python(self, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        value = super().to_python(value)
        if not value:
            return {}
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ValidationError(
                _('Enter the values as a JSON object, e.g. {"status": "qualified"}.'),
                code="invalid",
            ) from None
        if not isinstance(parsed, dict):
            raise ValidationError(
                _('Enter the values as a JSON object, e.g. {"status": "qualified"}.'),
                code="invalid",
            )
        return parsed


class UpdateFieldsForm(ParamsForm):
    values = JSONValuesField(
        label=gettext_lazy("Field values"),
        help_text=gettext_lazy(
            "Each field and the value it gets; custom fields as custom.<key>. "
            "Values are checked as the record's form checks them."
        ),
    )

    def clean_values(self):
        cleaned, errors = clean_values(self.entity_name, self.cleaned_data.get("values"))
        if errors:
            raise ValidationError(errors)
        return cleaned


def run_update_fields(context: ActionContext, params: dict[str, Any]) -> str:
    values = params.get("values") or {}
    plain = {key: value for key, value in values.items() if not key.startswith(CUSTOM)}
    custom = {key[len(CUSTOM) :]: value for key, value in values.items() if key.startswith(CUSTOM)}
    record_set_values(context, plain, custom, what=_("edit this record"))
    return _("Fields set: %(fields)s.") % {
        "fields": ", ".join(_field_label(context.entity_name, key) for key in values)
    }


def _field_label(entity_name: str, key: str) -> str:
    if key.startswith(CUSTOM):
        for definition in customfields.definitions(entity_name):
            if definition.key == key[len(CUSTOM) :]:
                return str(definition.label)
        return key
    model_field = editable_fields(entity_name).get(key)
    return str(model_field.verbose_name).capitalize() if model_field is not None else key


def describe_update_fields(entity_name: str, params: dict[str, Any]) -> str:
    values = params.get("values") or {}
    parts = [f"{_field_label(entity_name, key)} = {value}" for key, value in values.items()]
    return _("Set %(values)s") % {"values": ", ".join(parts)}


def _updatable(entity_name: str) -> bool:
    entity = registry.find(entity_name)
    return entity is not None and bool(getattr(entity.form_class, "_meta", None))


UPDATE_FIELDS = register_action(
    ActionType(
        key="update_fields",
        label=gettext_lazy("Update fields"),
        form_class=UpdateFieldsForm,
        run=run_update_fields,
        describe=describe_update_fields,
        applies_to=_updatable,
        retry=False,
        order=40,
    )
)


# --- add to group ------------------------------------------------------------------------


class AddToGroupForm(ParamsForm):
    group = forms.ModelChoiceField(label=gettext_lazy("Group"), queryset=Group.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.filter(entity=self.entity_name).order_by(
            "name"
        )
        self.fields["group"].error_messages["invalid_choice"] = _(
            "Choose a group of these records."
        )


def run_add_to_group(context: ActionContext, params: dict[str, Any]) -> str:
    actor = common.require_actor(context)
    group = Group.objects.filter(pk=params.get("group"), entity=context.entity_name).first()
    if group is None:
        raise ActionFailed(_("The group no longer exists."))
    if GroupMember.objects.filter(group=group, object_id=context.record.pk).exists():
        return _("Already in the group “%(group)s”.") % {"group": group}
    if not can(actor, "group", Action.EDIT) or (
        not Group.objects.visible_to(actor, Action.EDIT).filter(pk=group.pk).exists()
    ):
        raise ActionFailed(
            _("%(user)s, whom the rule acts as, may not %(what)s.")
            % {
                "user": common.user_label(actor),
                "what": _("change the group “%(group)s”") % {"group": group},
            }
        )
    entity = registry.get(context.entity_name)
    with common.acting(context, _("change groups")):
        added = grouping.group_add(
            actor=actor, group=group, queryset=entity.model.objects.filter(pk=context.record.pk)
        )
    if not added:
        raise ActionFailed(
            _("The record is outside the data scope of %(user)s, whom the rule acts as.")
            % {"user": common.user_label(actor)}
        )
    return _("Added to the group “%(group)s”.") % {"group": group}


def describe_add_to_group(entity_name: str, params: dict[str, Any]) -> str:
    group = Group.objects.filter(pk=params.get("group")).first()
    return _("Add to the group “%(group)s”") % {"group": group or "—"}


def _has_groups(entity_name: str) -> bool:
    entity = registry.find(entity_name)
    return entity is not None and entity.has_groups


ADD_TO_GROUP = register_action(
    ActionType(
        key="add_to_group",
        label=gettext_lazy("Add to group"),
        form_class=AddToGroupForm,
        run=run_add_to_group,
        describe=describe_add_to_group,
        applies_to=_has_groups,
        retry=False,
        order=50,
    )
)
