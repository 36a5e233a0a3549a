"""What the automation actions share: who a person is, texts with placeholders, acting as.

A rule's texts (a task's subject, a notification) use the placeholders of message
templates ({{ account.name }}, {{ user.name }}, {{ today.date }}) plus the record the rule
runs on: {{ record.name }}, {{ record.<field> }}, {{ record.owner }}. Values are read from a
fixed list of fields, never by evaluating the text, as `activities.placeholders` does.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from guanxi.activities import placeholders
from guanxi.core import privacy, registry
from guanxi.core.models import User
from guanxi.core.permissions import OutOfScope
from guanxi.workflow.actions import ActionContext, ActionFailed

RECORD = "record"
SKIPPED_FIELDS = {"id", "custom", "version", "search_text", "created_by", "updated_by"}

# Who a rule can mean by "a person": the record's owner, the owner's manager, named users.
OWNER, MANAGER, USER = "owner", "manager", "user"
PERSON_CHOICES = [
    (OWNER, gettext_lazy("The record's owner")),
    (MANAGER, gettext_lazy("The owner's manager")),
    (USER, gettext_lazy("A named user")),
]


# --- people ------------------------------------------------------------------------------


def active_users():
    return User.objects.filter(is_active=True).order_by("username")


def owner_of(record) -> User | None:
    return getattr(record, "owner", None) if hasattr(record, "owner_id") else None


def manager_of(record) -> User | None:
    owner = owner_of(record)
    return owner.manager if owner is not None and owner.manager_id else None


def person(record, who: str, user_id: int | None = None) -> User | None:
    """Return the active user a rule means by owner, manager or a named user (or None)."""
    if who == OWNER:
        found = owner_of(record)
    elif who == MANAGER:
        found = manager_of(record)
    else:
        found = User.objects.filter(pk=user_id).first() if user_id else None
    return found if found is not None and found.is_active else None


def user_label(user: User | None) -> str:
    if user is None:
        return "—"
    return placeholders._value(user, "name")


def users_named(ids) -> list[User]:
    return list(User.objects.filter(pk__in=list(ids or [])).order_by("username"))


def clean_person(form: forms.Form, who_field: str, user_field: str) -> None:
    """Require a named user when the form says "a named user"."""
    missing = not form.cleaned_data.get(user_field) and user_field not in form.errors
    if form.cleaned_data.get(who_field) == USER and missing:
        form.add_error(user_field, _("Choose the user."))


def has_owner(entity_name: str) -> bool:
    entity = registry.find(entity_name)
    return entity is not None and _has_field(entity.model, "owner")


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:
        return False
    return True


def detail_url(entity_name: str, record) -> str:
    entity = registry.find(entity_name)
    if entity is None:
        return ""
    try:
        return reverse(entity.url_name("detail"), args=[record.pk])
    except NoReverseMatch:
        return ""


# --- texts with placeholders -------------------------------------------------------------


def record_fields(entity_name: str) -> dict[str, Any]:
    """Return the record placeholders of an entity: {field name: label}."""
    entity = registry.find(entity_name)
    if entity is None:
        return {}
    found: dict[str, Any] = {"name": _("Record name")}
    for model_field in entity.model._meta.concrete_fields:
        if model_field.name in SKIPPED_FIELDS or model_field.name.endswith("_e164"):
            continue
        found.setdefault(model_field.name, str(model_field.verbose_name).capitalize())
    return found


def available(entity_name: str) -> list[placeholders.Placeholder]:
    """Return the placeholders a rule's text on the entity may use, for the editor's help."""
    return [
        placeholders.Placeholder(f"{RECORD}.{name}", label)
        for name, label in record_fields(entity_name).items()
    ] + placeholders.available()


def unknown(entity_name: str, text: str) -> list[str]:
    """Return the placeholders of a text that do not exist for the entity."""
    fields = record_fields(entity_name)
    return [
        f"{obj}.{field}"
        for obj, field in placeholders.PLACEHOLDER.findall(text or "")
        if not (
            (obj == RECORD and field in fields)
            or (obj != RECORD and field in placeholders.FIELDS.get(obj, {}))
        )
    ]


def check_text(entity_name: str, text: str) -> str:
    """Return the text, or raise ValidationError naming its unknown placeholders."""
    wrong = unknown(entity_name, text)
    if wrong:
        raise ValidationError(
            _("Unknown placeholder: %(names)s")
            % {"names": ", ".join("{{ " + name + " }}" for name in wrong)},
            code="placeholder",
        )
    return text


def _record_value(record, field: str) -> str:
    if field == "name" and not _has_field(type(record), "name"):
        return str(record)
    try:
        model_field = record._meta.get_field(field)
    except Exception:
        return ""
    if model_field.choices:
        return str(getattr(record, f"get_{field}_display")())
    value = getattr(record, field, None)
    if value is None or value == "":
        return ""
    if isinstance(value, User):
        return user_label(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if hasattr(value, "strftime"):
        from django.utils import timezone

        if hasattr(value, "hour"):
            return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, (int, float)) or value.__class__.__name__ == "Decimal":
        return number_format(value)
    return str(value)


def render(text: str, record, *, actor: User | None = None, contact=None) -> str:
    """Fill a rule's text from the record, its customer and contact, and the acting user.

    Personal data (a mobile number) is masked when the acting user sees it masked.
    """
    context = placeholders.context_for(record=record, contact=contact, user=actor)
    entity = registry.for_model(type(record)) if record is not None else None
    mask = entity is not None and privacy.masks_personal_data(actor)

    def replace(match) -> str:
        obj, field = match.group(1), match.group(2)
        if obj == RECORD:
            value = _record_value(record, field)
            return str(privacy.shown(entity, field, value, mask)) if value else value
        return placeholders.render(match.group(0), context)

    return placeholders.PLACEHOLDER.sub(replace, text or "")


class PlaceholderTextField(forms.CharField):
    """A text with placeholders, checked against the rule's entity when the form is cleaned."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)


def check_placeholder_fields(form: forms.Form) -> None:
    """Refuse unknown placeholders in every placeholder text field of an action's form."""
    for name, field in form.fields.items():
        if isinstance(field, PlaceholderTextField) and form.cleaned_data.get(name):
            try:
                check_text(form.entity_name, form.cleaned_data[name])
            except ValidationError as error:
                form.add_error(name, error)


def conditions_matcher(entity_name: str):
    """Return `matches(tree, record, changes=None)` reading the entity's fields once.

    Rules tried one after the other (lead assignment) share the fields instead of reading
    them, and the custom field definitions, for every rule.
    """
    from guanxi.workflow import conditions

    fields: dict | None = None

    def matches(tree: dict | None, record, changes: dict | None = None) -> bool:
        nonlocal fields
        if not tree or not tree.get("rules"):
            return True
        if fields is None:
            fields = conditions.fields_for(entity_name)
        return conditions._matches(fields, tree, record, changes or {})

    return matches


# --- conditions in lists --------------------------------------------------------------------


def describe_conditions(entity_name: str, trees: list[dict | None]) -> list[str]:
    """Describe several condition trees of one entity, reading each field's choices once.

    A list of rules (lead assignment rules, pools) shows each one's conditions without a
    query per rule.
    """
    from guanxi.workflow import conditions

    if not any(tree and tree.get("rules") for tree in trees):
        return [conditions.describe(entity_name, tree) for tree in trees]
    fields = conditions.fields_for(entity_name)
    for spec in fields.values():
        if spec.choices is not None:
            spec.choices = functools.cache(spec.choices)
    return [
        conditions._describe(fields, tree, top=True)
        if tree and tree.get("rules")
        else conditions.describe(entity_name, tree)
        for tree in trees
    ]


# --- acting as the rule's user -----------------------------------------------------------


def require_actor(context: ActionContext) -> User:
    actor = context.actor
    if actor is None or not actor.is_active:
        raise ActionFailed(_("The rule has no active user to act as."))
    return actor


@contextlib.contextmanager
def acting(context: ActionContext, what: str) -> Iterator[None]:
    """Turn a refusal of the normal services into a clear ActionFailed."""
    try:
        yield
    except OutOfScope:
        raise ActionFailed(
            _("The record is outside the data scope of %(user)s, whom the rule acts as.")
            % {"user": user_label(context.actor)}
        ) from None
    except PermissionDenied:
        raise ActionFailed(
            _("%(user)s, whom the rule acts as, may not %(what)s.")
            % {"user": user_label(context.actor), "what": what}
        ) from None
    except ValidationError as error:
        raise ActionFailed(" ".join(error_messages(error))) from None


def error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [str(message) for messages in error.message_dict.values() for message in messages]
    return [str(message) for message in error.messages]


def form_errors(form) -> str:
    parts = []
    for name, messages in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for message in messages:
            parts.append(f"{label}: {message}" if label else str(message))
    return " ".join(parts)


def in_language(user: User | None):
    return override(getattr(user, "language", "") or settings.LANGUAGE_CODE)
