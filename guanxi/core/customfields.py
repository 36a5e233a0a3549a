"""Custom fields (自定义字段): form fields, storage, display and filters from a definition."""

from __future__ import annotations

import datetime
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from guanxi.core.choices import CustomFieldType as T
from guanxi.core.models import CustomField
from guanxi.core.phones import normalize_phone

FORM_PREFIX = "custom_"


_request_memo: ContextVar[dict | None] = ContextVar("custom_field_memo", default=None)


def definitions(entity: str) -> list[CustomField]:
    """Return the custom field definitions of an entity in display order.

    Within a web request they are read once (see `memo_for_request`); elsewhere, every
    call reads them, so a long job sees a definition added while it runs.
    """
    memo = _request_memo.get()
    if memo is not None and entity in memo:
        return memo[entity]
    found = list(CustomField.objects.filter(entity=entity).order_by("position", "id"))
    if memo is not None:
        memo[entity] = found
    return found


def memo_for_request():
    """Start a fresh per-request memo of definitions; return the token to reset it."""
    return _request_memo.set({})


def memo_end(token) -> None:
    _request_memo.reset(token)


def form_field(definition: CustomField, *, user_choices=None) -> forms.Field:
    """Return the Django form field that edits and validates one custom field."""
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required and definition.field_type != T.BOOLEAN,
        "help_text": definition.help_text,
    }
    kind = definition.field_type
    if kind == T.TEXT:
        return forms.CharField(max_length=1000, **common)
    if kind == T.NUMBER:
        return forms.IntegerField(**common)
    if kind == T.DECIMAL:
        return forms.DecimalField(max_digits=20, decimal_places=6, **common)
    if kind == T.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == T.CHOICE:
        options = [("", "---------"), *definition.choice_options()]
        return forms.ChoiceField(choices=options, **common)
    if kind == T.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=definition.choice_options(), widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == T.BOOLEAN:
        return forms.BooleanField(**common)
    if kind == T.USER:
        from guanxi.core.models import User

        queryset = user_choices if user_choices is not None else User.objects.filter(is_active=True)
        return forms.ModelChoiceField(queryset=queryset, **common)
    if kind == T.URL:
        return forms.URLField(max_length=500, assume_scheme="https", **common)
    if kind == T.EMAIL:
        return forms.EmailField(**common)
    if kind == T.PHONE:
        return PhoneFormField(**common)
    raise ValueError(kind)


class PhoneFormField(forms.CharField):
    """Accept a phone number in any common format and keep it as entered."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value and not normalize_phone(value):
            raise ValidationError(_("Enter a valid phone number."), code="invalid_phone")
        return value


def to_storage(definition: CustomField, value: Any) -> Any:
    """Return the JSON value stored for a cleaned form value (None when empty)."""
    if value in (None, "", []):
        return False if definition.field_type == T.BOOLEAN else None
    kind = definition.field_type
    if kind == T.DECIMAL:
        return str(value)
    if kind == T.DATE:
        return value.isoformat()
    if kind == T.USER:
        return value.pk
    if kind == T.MULTI_CHOICE:
        return sorted(str(item) for item in value)
    return value


def to_initial(definition: CustomField, stored: Any) -> Any:
    """Return the form initial value for a stored JSON value."""
    if stored is None:
        return None
    if definition.field_type == T.DATE:
        try:
            return datetime.date.fromisoformat(stored)
        except (TypeError, ValueError):
            return None
    return stored


def display(definition: CustomField, stored: Any, users: dict[int, str] | None = None) -> str:
    """Return a stored value as the user should read it, localised."""
    if stored is None or stored == "" or stored == []:
        return ""
    kind = definition.field_type
    if kind == T.BOOLEAN:
        return _("Yes") if stored else _("No")
    if kind in (T.CHOICE, T.MULTI_CHOICE):
        labels = dict(definition.choice_options())
        values = stored if isinstance(stored, list) else [stored]
        return ", ".join(labels.get(str(value), str(value)) for value in values)
    if kind == T.DATE:
        try:
            return date_format(datetime.date.fromisoformat(stored), "SHORT_DATE_FORMAT")
        except (TypeError, ValueError):
            return str(stored)
    if kind == T.DECIMAL:
        try:
            return number_format(Decimal(stored), use_l10n=True, force_grouping=True)
        except (InvalidOperation, TypeError):
            return str(stored)
    if kind == T.NUMBER:
        return number_format(stored, use_l10n=True, force_grouping=True)
    if kind == T.USER:
        if users is None:
            from guanxi.core.models import User

            user = User.objects.filter(pk=stored).first()
            return str(user) if user else ""
        return users.get(stored, "")
    return str(stored)


def api_value(definition: CustomField, value: Any) -> Any:
    """Return the form-ready value of an API input (JSON) value."""
    if definition.field_type == T.MULTI_CHOICE and isinstance(value, str):
        return [value]
    if definition.field_type == T.BOOLEAN and value is None:
        return False
    return value


def filter_q(definition: CustomField, raw: str) -> Q | None:
    """Return the filter for a list's query-string value of a custom field, or None."""
    if raw in (None, ""):
        return None
    path = f"custom__{definition.key}"
    kind = definition.field_type
    if kind == T.BOOLEAN:
        return Q(**{path: raw.lower() in {"1", "true", "yes", "on"}})
    if kind == T.MULTI_CHOICE:
        return Q(**{f"{path}__icontains": f'"{raw}"'})
    if kind == T.NUMBER:
        try:
            return Q(**{path: int(raw)})
        except ValueError:
            return Q(pk__in=[])
    if kind == T.USER:
        try:
            return Q(**{path: int(raw)})
        except ValueError:
            return Q(pk__in=[])
    if kind in (T.TEXT, T.URL, T.EMAIL, T.PHONE):
        return Q(**{f"{path}__icontains": raw})
    return Q(**{path: raw})


def validate_definition_key(key: str) -> None:
    if not key.isidentifier() or key.startswith("_"):
        raise ValidationError(_("Use letters, digits and underscores, starting with a letter."))


__all__ = [
    "FORM_PREFIX",
    "api_value",
    "definitions",
    "display",
    "filter_q",
    "form_field",
    "to_initial",
    "to_storage",
    "validate_definition_key",
    "validate_email",
]
