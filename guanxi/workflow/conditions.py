"""Conditions on a record's fields (条件), shared by approvals and automation rules.

A condition tree is plain JSON, stored on the rule or process that uses it:

    {"match": "all", "rules": [
        {"field": "amount", "op": "gt", "value": "5000"},
        {"field": "account.industry", "op": "in", "value": ["it", "finance"]},
        {"match": "any", "rules": [...]},
    ]}

`match` is "all" (and) or "any" (or); an empty tree holds for every record. A field is a
model field of the entity, a custom field ("custom.<key>"), or a field of a record it
points to ("account.industry", "owner.department"). Date values may be relative
("today", "today+7", "today-30"). The change operators (changed, changed_to,
changed_from) compare the record's change of this save, `{field: [before, after]}` as
the audit log and domain events carry it.

`validate` turns what a user or API client sent into the stored shape with messages in
the user's language; `matches` evaluates a tree on one record; `to_q` turns a tree into
a database condition when every part can be one (time-based triggers scan with it).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from guanxi.core import customfields, registry
from guanxi.core.choices import CustomFieldType

# --- Field kinds and operators -------------------------------------------------------------

TEXT, NUMBER, DATE, DATETIME, BOOLEAN, CHOICE, USER, RELATION, DEPARTMENT, MULTI = (
    "text",
    "number",
    "date",
    "datetime",
    "boolean",
    "choice",
    "user",
    "relation",
    "department",
    "multi",
)

OPERATORS: dict[str, Any] = {
    "eq": pgettext_lazy("condition", "is"),
    "ne": pgettext_lazy("condition", "is not"),
    "gt": pgettext_lazy("condition", "is greater than"),
    "gte": pgettext_lazy("condition", "is at least"),
    "lt": pgettext_lazy("condition", "is less than"),
    "lte": pgettext_lazy("condition", "is at most"),
    "in": pgettext_lazy("condition", "is one of"),
    "not_in": pgettext_lazy("condition", "is none of"),
    "contains": pgettext_lazy("condition", "contains"),
    "not_contains": pgettext_lazy("condition", "does not contain"),
    "starts_with": pgettext_lazy("condition", "starts with"),
    "empty": pgettext_lazy("condition", "is empty"),
    "not_empty": pgettext_lazy("condition", "is not empty"),
    "changed": pgettext_lazy("condition", "changed"),
    "changed_to": pgettext_lazy("condition", "changed to"),
    "changed_from": pgettext_lazy("condition", "changed from"),
}
NO_VALUE = {"empty", "not_empty", "changed"}
LIST_VALUE = {"in", "not_in"}
CHANGE_OPERATORS = {"changed", "changed_to", "changed_from"}
_COMMON = ["eq", "ne", "in", "not_in", "empty", "not_empty", *CHANGE_OPERATORS]
_ORDERED = ["gt", "gte", "lt", "lte"]
KIND_OPERATORS: dict[str, list[str]] = {
    TEXT: [*_COMMON, "contains", "not_contains", "starts_with"],
    NUMBER: [*_COMMON, *_ORDERED],
    DATE: [*_COMMON, *_ORDERED],
    DATETIME: [*_ORDERED, "empty", "not_empty", "changed"],
    BOOLEAN: ["eq", "changed", "changed_to"],
    CHOICE: _COMMON,
    USER: _COMMON,
    RELATION: _COMMON,
    DEPARTMENT: _COMMON,
    MULTI: ["contains", "not_contains", "empty", "not_empty", "changed"],
}
MAX_DEPTH = 4
SKIPPED = {"id", "custom", "version", "created_by", "updated_by", "search_text"}
RELATIVE_DATE = re.compile(r"^today(?:\s*([+-])\s*(\d{1,4}))?$")


@dataclass
class FieldSpec:
    """Describe one field a condition can test."""

    key: str
    label: str
    kind: str
    # (value, label) pairs for choice, user, department and relation fields, read lazily:
    # relation choices can be large, so editors search them instead.
    choices: Callable[[], Iterable[tuple[Any, Any]]] | None = None
    # The ORM path `to_q` filters on; None when the field cannot be filtered in the database.
    lookup: str | None = None
    # For relation fields: the registered entity it points to.
    target: str = ""

    def as_json(self) -> dict[str, Any]:
        """Describe the field for the condition editor in the page."""
        data = {
            "key": self.key,
            "label": str(self.label),
            "kind": self.kind,
            "operators": [[op, str(OPERATORS[op])] for op in KIND_OPERATORS[self.kind]],
        }
        if self.choices is not None and self.kind in (CHOICE, USER, DEPARTMENT, MULTI):
            data["choices"] = [[str(value), str(label)] for value, label in self.choices()]
        return data


class ConditionError(ValueError):
    """Raised by `matches` on a tree `validate` would refuse."""


def _user_choices():
    from guanxi.core.models import User

    return [
        (user.pk, str(user))
        for user in User.objects.filter(is_active=True).order_by("username")[:500]
    ]


def _department_choices():
    from guanxi.core.models import Department

    return [(dep.pk, str(dep)) for dep in Department.objects.order_by("name")[:500]]


def _field_choices(model_field: models.Field):
    return lambda: [(value, label) for value, label in model_field.flatchoices]


def _related_choices(model: type[models.Model]):
    return lambda: [(one.pk, str(one)) for one in model.objects.all()[:500]]


def _kind_of(model_field: models.Field) -> str | None:
    if model_field.choices:
        return CHOICE
    if isinstance(model_field, models.ForeignKey):
        from guanxi.core.models import Department, User

        target = model_field.related_model
        if target is User:
            return USER
        if target is Department:
            return DEPARTMENT
        # Settings records (stages, pipelines, pools) are few: offered as a choice list.
        return RELATION if registry.for_model(target) else CHOICE
    if isinstance(model_field, models.BooleanField):
        return BOOLEAN
    if isinstance(model_field, models.DateTimeField):
        return DATETIME
    if isinstance(model_field, models.DateField):
        return DATE
    if isinstance(
        model_field, (models.IntegerField, models.DecimalField, models.FloatField)
    ) and not isinstance(model_field, models.AutoField):
        return NUMBER
    if isinstance(model_field, (models.CharField, models.TextField)):
        return TEXT
    return None


def _model_fields(model: type[models.Model], prefix: str, label_prefix: str) -> list[FieldSpec]:
    found = []
    for model_field in model._meta.concrete_fields:
        if model_field.name in SKIPPED or model_field.name.endswith(("_e164", "_normalized")):
            continue
        kind = _kind_of(model_field)
        if kind is None:
            continue
        choices = None
        target = ""
        if kind == CHOICE and isinstance(model_field, models.ForeignKey):
            choices = _related_choices(model_field.related_model)
        elif kind == CHOICE:
            choices = _field_choices(model_field)
        elif kind == USER:
            choices = _user_choices
        elif kind == DEPARTMENT:
            choices = _department_choices
        elif kind == RELATION:
            target = registry.for_model(model_field.related_model).name
        key = prefix + model_field.name
        found.append(
            FieldSpec(
                key=key,
                label=f"{label_prefix}{str(model_field.verbose_name).capitalize()}",
                kind=kind,
                choices=choices,
                lookup=key.replace(".", "__"),
                target=target,
            )
        )
    return found


_CUSTOM_KINDS = {
    CustomFieldType.TEXT: TEXT,
    CustomFieldType.URL: TEXT,
    CustomFieldType.EMAIL: TEXT,
    CustomFieldType.PHONE: TEXT,
    CustomFieldType.NUMBER: NUMBER,
    CustomFieldType.DECIMAL: NUMBER,
    CustomFieldType.DATE: DATE,
    CustomFieldType.CHOICE: CHOICE,
    CustomFieldType.MULTI_CHOICE: MULTI,
    CustomFieldType.BOOLEAN: BOOLEAN,
    CustomFieldType.USER: USER,
}


def _custom_fields(entity_name: str, prefix: str, label_prefix: str) -> list[FieldSpec]:
    found = []
    for definition in customfields.definitions(entity_name):
        kind = _CUSTOM_KINDS.get(definition.field_type, TEXT)
        choices = None
        if kind in (CHOICE, MULTI):
            choices = definition.choice_options
        elif kind == USER:
            choices = _user_choices
        path = f"{prefix}custom.{definition.key}"
        found.append(
            FieldSpec(
                key=path,
                label=f"{label_prefix}{definition.label}",
                kind=kind,
                choices=choices,
                # JSON lookups compare reliably only for equality and emptiness.
                lookup=path.replace(".", "__"),
            )
        )
    return found


def fields_for(entity_name: str) -> dict[str, FieldSpec]:
    """Return every field a condition on the entity may test, by key, in display order."""
    entity = registry.get(entity_name)
    found = _model_fields(entity.model, "", "")
    found += _custom_fields(entity_name, "", "")
    for spec in list(found):
        if spec.kind == RELATION:
            target = registry.get(spec.target)
            label_prefix = f"{spec.label} › "
            found += [
                related
                for related in _model_fields(target.model, spec.key + ".", label_prefix)
                if related.kind != RELATION
            ]
            found += _custom_fields(target.name, spec.key + ".", label_prefix)
        elif spec.kind == USER and not spec.key.startswith("custom."):
            found.append(
                FieldSpec(
                    key=f"{spec.key}.department",
                    label=f"{spec.label} › {_('Department')}",
                    kind=DEPARTMENT,
                    choices=_department_choices,
                    lookup=f"{spec.key}__department",
                )
            )
    return {spec.key: spec for spec in found}


def editor_fields(entity_name: str) -> list[dict[str, Any]]:
    """Return the fields of an entity as the condition editor in the page reads them."""
    return [spec.as_json() for spec in fields_for(entity_name).values()]


# --- Validation ----------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(value: Any) -> datetime.date | None:
    """Return the date a stored date value means today (relative values move with it)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip().lower()
    relative = RELATIVE_DATE.match(text)
    if relative:
        days = int(relative.group(2) or 0) * (-1 if relative.group(1) == "-" else 1)
        return timezone.localdate() + datetime.timedelta(days=days)
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _clean_value(spec: FieldSpec, op: str, value: Any) -> tuple[Any, str | None]:
    """Return the stored form of one value, or an error message."""
    if op in NO_VALUE:
        return None, None
    if op in LIST_VALUE:
        items = value if isinstance(value, list) else str(value or "").split(",")
        items = [item for item in items if str(item).strip() != ""]
        if not items:
            return None, _("Enter at least one value.")
        cleaned = []
        for item in items:
            one, error = _clean_value(spec, "eq", item)
            if error:
                return None, error
            cleaned.append(one)
        return cleaned, None
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None, _("Enter a value.")
    if spec.kind == NUMBER:
        number = _number(value)
        return (str(number), None) if number is not None else (None, _("Enter a number."))
    if spec.kind in (DATE, DATETIME):
        if _date(value) is None:
            return None, _("Enter a date (YYYY-MM-DD) or today, today+N, today-N.")
        return str(value).strip().lower(), None
    if spec.kind == BOOLEAN:
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True, None
        if text in ("false", "0", "no", "off"):
            return False, None
        return None, _("Choose yes or no.")
    if spec.kind in (USER, DEPARTMENT, RELATION):
        try:
            return int(value), None
        except (TypeError, ValueError):
            return None, _("Choose a record.")
    if spec.kind in (CHOICE, MULTI) and spec.choices is not None:
        allowed = {str(option) for option, _label in spec.choices()}
        if str(value) not in allowed:
            return None, _("Choose one of the listed values.")
        return str(value), None
    return str(value).strip(), None


def validate(entity_name: str, tree: Any) -> tuple[dict[str, Any], list[str]]:
    """Return the tree in its stored shape and the list of error messages (empty when valid).

    Each message names the condition it is about ("Condition 2: enter a number.").
    """
    fields = fields_for(entity_name)
    errors: list[str] = []
    counter = [0]

    def clean(node: Any, depth: int) -> dict[str, Any]:
        if node in (None, "", {}):
            return {"match": "all", "rules": []}
        if not isinstance(node, dict) or not isinstance(node.get("rules", []), list):
            errors.append(_("The conditions are not valid."))
            return {"match": "all", "rules": []}
        if depth > MAX_DEPTH:
            errors.append(_("Conditions may be nested at most %(n)s levels.") % {"n": MAX_DEPTH})
            return {"match": "all", "rules": []}
        match = node.get("match", "all")
        if match not in ("all", "any"):
            errors.append(_("Choose whether all or any of the conditions must hold."))
        rules = []
        for item in node.get("rules", []):
            if isinstance(item, dict) and "rules" in item:
                rules.append(clean(item, depth + 1))
                continue
            counter[0] += 1
            cleaned = clean_one(item, counter[0])
            if cleaned is not None:
                rules.append(cleaned)
        return {"match": match if match in ("all", "any") else "all", "rules": rules}

    def clean_one(item: Any, number: int) -> dict[str, Any] | None:
        prefix = _("Condition %(n)s:") % {"n": number}
        if not isinstance(item, dict):
            errors.append(f"{prefix} {_('The conditions are not valid.')}")
            return None
        spec = fields.get(str(item.get("field", "")))
        if spec is None:
            errors.append(
                f"{prefix} "
                + _("unknown field “%(field)s”.") % {"field": str(item.get("field", ""))}
            )
            return None
        op = str(item.get("op", ""))
        if op not in KIND_OPERATORS[spec.kind]:
            errors.append(
                f"{prefix} "
                + _("“%(op)s” cannot be used with the field “%(field)s”.")
                % {"op": str(OPERATORS.get(op, op)), "field": spec.label}
            )
            return None
        value, error = _clean_value(spec, op, item.get("value"))
        if error:
            errors.append(f"{prefix} {spec.label}: {error}")
            return None
        cleaned = {"field": spec.key, "op": op}
        if op not in NO_VALUE:
            cleaned["value"] = value
        return cleaned

    cleaned = clean(tree, 1)
    return cleaned, errors


def fields_used(tree: dict[str, Any] | None) -> set[str]:
    """Return the keys of the fields a tree tests."""
    used: set[str] = set()
    for item in (tree or {}).get("rules", []):
        if "rules" in item:
            used |= fields_used(item)
        else:
            used.add(item["field"])
    return used


def uses_changes(tree: dict[str, Any] | None) -> bool:
    """Tell whether a tree needs the change of a save (and cannot be scanned for)."""
    for item in (tree or {}).get("rules", []):
        if ("rules" in item and uses_changes(item)) or item.get("op") in CHANGE_OPERATORS:
            return True
    return False


# --- Evaluation ----------------------------------------------------------------------------


def value_of(record: models.Model, key: str) -> Any:
    """Return a record's value of a condition field key (ids for relations and users)."""
    head, _sep, rest = key.partition(".")
    if head == "custom":
        return (getattr(record, "custom", None) or {}).get(rest)
    try:
        model_field = record._meta.get_field(head)
    except Exception:
        return None
    if rest:
        related = getattr(record, head, None)
        return None if related is None else value_of(related, rest)
    if isinstance(model_field, models.ForeignKey):
        return getattr(record, model_field.attname)
    return getattr(record, head, None)


def _plain(value: Any) -> Any:
    """Return a change-log value as the condition compares it (ids for relations)."""
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    return value


def _equal(kind: str, actual: Any, expected: Any) -> bool:
    if kind == NUMBER:
        left = _number(actual)
        return left is not None and left == _number(expected)
    if kind in (DATE, DATETIME):
        left = _date(actual) if actual not in (None, "") else None
        return left is not None and left == _date(expected)
    if kind == BOOLEAN:
        return bool(actual) is bool(expected)
    if kind in (USER, DEPARTMENT, RELATION):
        try:
            return actual is not None and int(actual) == int(expected)
        except (TypeError, ValueError):
            return False
    if kind == TEXT:
        return str(actual or "").strip().casefold() == str(expected or "").strip().casefold()
    return str(actual if actual is not None else "") == str(expected)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def holds(spec: FieldSpec, op: str, actual: Any, expected: Any) -> bool:
    """Tell whether one value meets one comparison."""
    if op == "empty":
        return _blank(actual) if spec.kind != BOOLEAN else not actual
    if op == "not_empty":
        return not holds(spec, "empty", actual, expected)
    if op == "eq":
        return _equal(spec.kind, actual, expected)
    if op == "ne":
        return not _equal(spec.kind, actual, expected)
    if op == "in":
        return any(_equal(spec.kind, actual, item) for item in expected or [])
    if op == "not_in":
        return not holds(spec, "in", actual, expected)
    if op in ("contains", "not_contains"):
        if spec.kind == MULTI:
            found = str(expected) in {str(item) for item in (actual or [])}
        else:
            found = str(expected).casefold() in str(actual or "").casefold()
        return found if op == "contains" else not found
    if op == "starts_with":
        return str(actual or "").casefold().startswith(str(expected).casefold())
    if op in ("gt", "gte", "lt", "lte"):
        if spec.kind == NUMBER:
            left, right = _number(actual), _number(expected)
        else:
            left = _date(actual) if not _blank(actual) else None
            right = _date(expected)
        if left is None or right is None:
            return False
        return {
            "gt": left > right,
            "gte": left >= right,
            "lt": left < right,
            "lte": left <= right,
        }[op]
    raise ConditionError(op)


def matches(
    entity_name: str,
    tree: dict[str, Any] | None,
    record: models.Model,
    changes: dict[str, list[Any]] | None = None,
) -> bool:
    """Tell whether a record meets a stored condition tree.

    `changes` is the change of the save being looked at; without it the change operators
    never hold. A field that no longer exists (a custom field deleted since the tree was
    saved) makes its condition fail rather than hold.
    """
    if not tree or not tree.get("rules"):
        return True
    fields = fields_for(entity_name)
    return _matches(fields, tree, record, changes or {})


def _matches(fields, tree, record, changes) -> bool:
    results = (
        _matches(fields, item, record, changes)
        if "rules" in item
        else _one(fields, item, record, changes)
        for item in tree.get("rules", [])
    )
    return all(results) if tree.get("match", "all") == "all" else any(results)


def _one(fields, item, record, changes) -> bool:
    spec = fields.get(item["field"])
    if spec is None:
        return False
    op = item["op"]
    if op in CHANGE_OPERATORS:
        if item["field"] not in changes:
            return False
        before, after = (_plain(value) for value in changes[item["field"]])
        if op == "changed":
            return True
        if op == "changed_to":
            return _equal(spec.kind, after, item.get("value"))
        return _equal(spec.kind, before, item.get("value"))
    return holds(spec, op, value_of(record, item["field"]), item.get("value"))


def to_q(entity_name: str, tree: dict[str, Any] | None) -> Q | None:
    """Return the database condition of a tree, or None when a part cannot be one.

    Callers then filter in Python with `matches` (change operators, list-valued custom
    fields, ordered comparisons of custom values).
    """
    if not tree or not tree.get("rules"):
        return Q()
    fields = fields_for(entity_name)
    try:
        return _q(fields, tree)
    except _NotExpressible:
        return None


class _NotExpressible(Exception):
    pass


def _q(fields, tree) -> Q:
    combined = Q()
    for item in tree.get("rules", []):
        part = _q(fields, item) if "rules" in item else _one_q(fields, item)
        combined = combined & part if tree.get("match", "all") == "all" else combined | part
    return combined


def _one_q(fields, item) -> Q:
    spec = fields.get(item["field"])
    op = item["op"]
    if spec is None or spec.lookup is None or op in CHANGE_OPERATORS:
        raise _NotExpressible
    custom = "custom." in spec.key
    path = spec.lookup
    value = item.get("value")
    if spec.kind == MULTI or (custom and op in ("gt", "gte", "lt", "lte", "starts_with")):
        raise _NotExpressible
    if spec.kind in (DATE, DATETIME) and op not in ("empty", "not_empty"):
        value = [_date(one) for one in value] if op in LIST_VALUE else _date(value)
        if spec.kind == DATETIME:
            path = f"{path}__date"
        if custom:
            value = [one.isoformat() for one in value] if op in LIST_VALUE else value.isoformat()
    elif spec.kind == NUMBER and op not in ("empty", "not_empty"):
        if custom:
            raise _NotExpressible  # stored as text or number depending on the type
        value = [_number(one) for one in value] if op in LIST_VALUE else _number(value)
    if op == "empty":
        if spec.kind == BOOLEAN:
            return Q(**{path: False}) | Q(**{f"{path}__isnull": True})
        blank = Q(**{f"{path}__isnull": True})
        if spec.kind == TEXT:
            blank |= Q(**{path: ""})
        return blank
    if op == "not_empty":
        return ~_one_q(fields, {**item, "op": "empty"})
    if spec.kind == TEXT:
        if op == "eq":
            return Q(**{f"{path}__iexact": value})
        if op == "ne":
            return ~Q(**{f"{path}__iexact": value}) | Q(**{f"{path}__isnull": True})
        if op in ("in", "not_in"):
            any_of = Q(pk__in=[])
            for one in value:
                any_of |= Q(**{f"{path}__iexact": one})
            return any_of if op == "in" else ~any_of
        if op == "contains":
            return Q(**{f"{path}__icontains": value})
        if op == "not_contains":
            return ~Q(**{f"{path}__icontains": value}) | Q(**{f"{path}__isnull": True})
        if op == "starts_with":
            return Q(**{f"{path}__istartswith": value})
    if op == "eq":
        return Q(**{path: value})
    if op == "ne":
        return ~Q(**{path: value}) | Q(**{f"{path}__isnull": True})
    if op == "in":
        return Q(**{f"{path}__in": value})
    if op == "not_in":
        return ~Q(**{f"{path}__in": value}) | Q(**{f"{path}__isnull": True})
    if op in ("gt", "gte", "lt", "lte"):
        return Q(**{f"{path}__{op}": value})
    raise _NotExpressible


# --- Reading ------------------------------------------------------------------------------


def describe(entity_name: str, tree: dict[str, Any] | None) -> str:
    """Return a tree as a sentence in the active language, for lists and the monitor."""
    if not tree or not tree.get("rules"):
        return _("Every record")
    fields = fields_for(entity_name)
    return _describe(fields, tree, top=True)


def _describe(fields, tree, *, top: bool) -> str:
    parts = [
        _describe(fields, item, top=False) if "rules" in item else _describe_one(fields, item)
        for item in tree.get("rules", [])
    ]
    joiner = f" {_('and')} " if tree.get("match", "all") == "all" else f" {_('or')} "
    text = joiner.join(parts)
    return text if top or len(parts) < 2 else f"({text})"


def _describe_one(fields, item) -> str:
    spec = fields.get(item["field"])
    label = spec.label if spec else item["field"]
    op = str(OPERATORS.get(item["op"], item["op"]))
    if item["op"] in NO_VALUE:
        return f"{label} {op}"
    value = item.get("value")
    values = value if isinstance(value, list) else [value]
    shown = [_value_label(spec, one) for one in values]
    return f"{label} {op} {', '.join(shown)}"


def _value_label(spec: FieldSpec | None, value: Any) -> str:
    if spec is not None and spec.choices is not None and spec.kind != RELATION:
        labels = {str(option): str(label) for option, label in spec.choices()}
        return labels.get(str(value), str(value))
    if spec is not None and spec.kind == BOOLEAN:
        return _("yes") if value else _("no")
    return str(value)


__all__ = [
    "ConditionError",
    "FieldSpec",
    "describe",
    "editor_fields",
    "fields_for",
    "fields_used",
    "matches",
    "to_q",
    "uses_changes",
    "validate",
    "value_of",
]

LABEL_ALL = gettext_lazy("All of these")
LABEL_ANY = gettext_lazy("Any of these")
