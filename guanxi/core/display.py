"""Show field values as a user reads them: choice labels, names, localised dates and numbers."""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import customfields, privacy
from guanxi.core.registry import Entity

CUSTOM_PREFIX = "custom."

# History keys that are not model fields, written by the generic services for any entity.
HISTORY_LABELS = {
    "shared_with": gettext_lazy("Shared with"),
    "access": gettext_lazy("Access"),
    "merged_from": gettext_lazy("Merged records"),
}


@cache
def choice_labels(model_field) -> dict:
    """Return {value: lazy label} of a field's choices, built once per field.

    get_FOO_display() rebuilds this mapping on every call, which a 50-row list with ten
    choice columns pays 500 times.
    """
    return dict(model_field.flatchoices)


def format_value(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal | int | float):
        return number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def record_value(
    entity: Entity, record: Any, key: str, definitions=None, *, mask: bool = False
) -> str:
    """Return the display text of one field (or custom.<key>) of a record.

    With `mask`, personal data (phones, emails, ID numbers) is masked (core.privacy).
    """
    if mask and key in entity.personal_fields:
        return privacy.shown(entity, key, format_value(getattr(record, key, None)), True)
    if key == "tags" and entity.has_tags:
        return ", ".join(tag.name for tag in getattr(record, "tag_list", []))
    if key.startswith(CUSTOM_PREFIX):
        custom_key = key[len(CUSTOM_PREFIX) :]
        definition = (definitions or {}).get(custom_key)
        if definition is None:
            definition = next(
                (d for d in customfields.definitions(entity.name) if d.key == custom_key), None
            )
        if definition is None:
            return ""
        return customfields.display(definition, (record.custom or {}).get(custom_key))
    try:
        model_field = entity.model._meta.get_field(key)
    except FieldDoesNotExist:
        model_field = None
    if model_field is not None and getattr(model_field, "choices", None):
        value = getattr(record, model_field.attname)
        return str(choice_labels(model_field).get(value, value or ""))
    if isinstance(model_field, models.ForeignKey):
        related = getattr(record, key)
        return str(related) if related is not None else ""
    if isinstance(model_field, models.ManyToManyField):
        return ", ".join(str(related) for related in getattr(record, key).all())
    return format_value(getattr(record, key, None))


def field_label(entity: Entity, key: str, definitions=None) -> str:
    if key.startswith(CUSTOM_PREFIX):
        custom_key = key[len(CUSTOM_PREFIX) :]
        definition = (definitions or {}).get(custom_key)
        return definition.label if definition else custom_key
    try:
        return capfirst(str(entity.model._meta.get_field(key).verbose_name))
    except FieldDoesNotExist:
        pass
    if key in HISTORY_LABELS:
        return capfirst(str(HISTORY_LABELS[key]))
    if key in entity.extra_history_fields:
        return capfirst(str(entity.extra_history_fields[key][0]))
    label = next((column.label for column in entity.columns if column.key == key), None)
    return capfirst(str(label)) if label else key


def history_value(entity: Entity, key: str, value: Any, definitions=None) -> str:
    """Return a value stored in the change history as text in the active language."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict) and "repr" in value:
        return str(value["repr"])
    if key.startswith(CUSTOM_PREFIX):
        definition = (definitions or {}).get(key[len(CUSTOM_PREFIX) :])
        if definition is None:
            return str(value)
        return customfields.display(definition, value) or "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    try:
        model_field = entity.model._meta.get_field(key)
    except FieldDoesNotExist:
        _label, choices = entity.extra_history_fields.get(key, (None, None))
        return str(dict(choices or ()).get(value, value))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
        try:
            return format_value(datetime.datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)
