"""Map spreadsheet columns to an entity's fields and turn cells into form data.

Columns are matched by field name, by the field's label in English and in Chinese (also
prefixed with the entity's name, e.g. 客户名称 / Customer name), and for custom fields by
key and both labels. Cells are turned into what the entity's form expects: choice labels
in either language become values, users are found by user name or name, related records
by id, number or exact name within the importer's scope, dates in common formats.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.core import customfields, registry, search
from guanxi.core.choices import Action
from guanxi.core.choices import CustomFieldType as T
from guanxi.core.models import CustomField, User
from guanxi.core.registry import Entity

CUSTOM = "custom."
TRUE_WORDS = {"1", "true", "yes", "y", "t", "on", "是", "真", "对", "√", "✓", "x"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "off", "否", "假", "不", "×", ""}
DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y%m%d",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%m/%d/%y",
]
# Headers people commonly write that are not a field's label.
SYNONYMS = {
    "name": [
        "姓名",
        "名字",
        "公司名称",
        "公司",
        "客户全称",
        "full name",
        "company",
        "company name",
    ],
    "mobile": ["手机号", "手机号码", "移动电话", "mobile phone", "cell", "cellphone"],
    "phone": ["电话号码", "座机", "联系电话", "固定电话", "telephone", "tel"],
    "email": ["邮箱", "电子邮件", "电子邮箱", "e-mail", "mail"],
    "address": ["地址", "详细地址", "通讯地址"],
    "province": ["省份", "省", "所在省份", "state"],
    "city": ["所在城市", "城市名称"],
    "title": ["职务", "职位", "title"],
    "owner": ["销售负责人", "业务员", "销售"],
}
_NUMBER_NOISE = re.compile(r"[,，\s¥￥$€£]")
_PARENTHESES = re.compile(r"[()（）]")
_LIST_SPLIT = re.compile(r"[,;，；、|]")


@dataclass(frozen=True)
class Target:
    """One field a column can be imported into."""

    key: str  # form field name or custom.<key>
    label: str
    required: bool


def _model_field(entity: Entity, name: str) -> models.Field | None:
    try:
        return entity.model._meta.get_field(name)
    except Exception:
        return None


def form_defaults(entity: Entity) -> dict[str, Any]:
    """Return the form data of an empty new record: the model's defaults."""
    return model_to_dict(entity.model(), fields=list(entity.form_class._meta.fields))


def record_values(entity: Entity, record, definitions: list[CustomField]) -> dict[str, Any]:
    """Return the form data of an existing record (custom fields included)."""
    data = model_to_dict(record, fields=list(entity.form_class._meta.fields))
    for definition in definitions:
        value = customfields.to_initial(definition, (record.custom or {}).get(definition.key))
        if value is not None:
            data[customfields.FORM_PREFIX + definition.key] = value
    return data


def targets(entity: Entity, definitions: list[CustomField] | None = None) -> list[Target]:
    """Return the fields a column may be mapped to, required ones flagged."""
    if definitions is None:
        definitions = customfields.definitions(entity.name)
    defaults = form_defaults(entity)
    found = []
    for name in entity.form_class._meta.fields:
        model_field = _model_field(entity, name)
        label = capfirst(str(model_field.verbose_name)) if model_field else name
        required = bool(
            model_field is not None
            and not model_field.blank
            and defaults.get(name) in (None, "", [])
            and name != "owner"
        )
        found.append(Target(name, label, required))
    for definition in definitions:
        found.append(Target(CUSTOM + definition.key, definition.label, definition.required))
    return found


def _names(entity: Entity, target: Target, definitions: dict[str, CustomField]) -> set[str]:
    names = {target.key}
    if target.key.startswith(CUSTOM):
        definition = definitions[target.key[len(CUSTOM) :]]
        names |= {definition.key, definition.label_en, definition.label_zh}
    else:
        model_field = _model_field(entity, target.key)
        for language in ("en", "zh-hans"):
            with override(language):
                entity_label = str(entity.verbose_name)
                field_label = str(model_field.verbose_name) if model_field else target.key
            names |= {field_label, entity_label + field_label, f"{entity_label} {field_label}"}
        names |= set(SYNONYMS.get(target.key, []))
    return {search.normalize(name) for name in names if name}


def header_key(text: str) -> str:
    return search.normalize(text)


def propose(entity: Entity, header: list[str], remembered: dict[str, str]) -> list[str]:
    """Return a target for each column: the user's remembered mapping, else a name match."""
    definitions = {d.key: d for d in customfields.definitions(entity.name)}
    available = targets(entity, list(definitions.values()))
    keys = {target.key for target in available}
    by_name: dict[str, str] = {}
    for target in available:
        for name in _names(entity, target, definitions):
            by_name.setdefault(name, target.key)
    proposal: list[str] = []
    for column in header:
        key = header_key(column)
        choice = remembered.get(key) if remembered.get(key) in keys else by_name.get(key, "")
        proposal.append("" if choice in proposal else choice)
    return proposal


def validate_mapping(entity: Entity, mapping: list[str]) -> dict[str, list[str]]:
    """Return errors of a mapping: unknown fields, a field used twice, required fields missing."""
    available = targets(entity)
    known = {target.key: target for target in available}
    errors: dict[str, list[str]] = {}
    used = [key for key in mapping if key]
    for key in used:
        if key not in known:
            errors.setdefault("mapping", []).append(
                _("There is no field %(field)s to import into.") % {"field": key}
            )
    for key in sorted({key for key in used if used.count(key) > 1}):
        if key in known:
            errors.setdefault("mapping", []).append(
                _("Two columns are mapped to %(field)s.") % {"field": known[key].label}
            )
    missing = [target.label for target in available if target.required and target.key not in used]
    if missing:
        errors.setdefault("mapping", []).append(
            _("Map a column to each required field: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    return errors


def parse_date(text: str) -> str:
    """Return a date as ISO text when it is in a common format, else the text unchanged."""
    candidate = text.strip().split(" ")[0].split("T")[0]
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(candidate, pattern).date().isoformat()
        except ValueError:
            continue
    return text


def parse_number(text: str) -> str:
    return _NUMBER_NOISE.sub("", text)


class CellError(ValueError):
    """Raised when a cell cannot be understood at all; the form never sees it."""


class Converter:
    """Turn the cells of one row into form data for the entity's form, with lookups cached."""

    def __init__(self, entity: Entity, user: User, mapping: list[str]):
        self.entity = entity
        self.user = user
        self.mapping = mapping
        self.definitions = {d.key: d for d in customfields.definitions(entity.name)}
        self.choice_maps: dict[str, dict[str, str]] = {}
        self.related: dict[tuple[str, str], Any] = {}
        self.model_fields: dict[str, models.Field | None] = {}
        self.chosen: dict[tuple[str, str], str] = {}  # (field, cell) → value of a choice
        self._users: dict[str, int] | None = None

    def users(self) -> dict[str, int]:
        if self._users is None:
            found: dict[str, int] = {}
            for user in User.objects.filter(is_active=True).order_by("-id"):
                for name in (str(user), user.get_full_name(), user.email, user.username):
                    if name:
                        found[name.strip().lower()] = user.pk
            self._users = found
        return self._users

    def user_id(self, text: str) -> int:
        found = self.users().get(text.strip().lower())
        if found is None:
            if text.isdigit():
                return int(text)
            raise CellError(_("There is no active user %(name)s.") % {"name": text})
        return found

    def choice_map(self, key: str, options: list[tuple[str, str, str]]) -> dict[str, str]:
        """Return {normalised value or label: value} for choices given as (value, en, zh)."""
        if key not in self.choice_maps:
            found: dict[str, str] = {}
            for value, english, chinese in options:
                for name in (value, english, chinese):
                    # "贵宾型 (VIP)" is also written "贵宾型" or "VIP".
                    for part in [name, *_PARENTHESES.split(str(name or ""))]:
                        if part and search.normalize(str(part)):
                            found.setdefault(search.normalize(str(part)), value)
            self.choice_maps[key] = found
        return self.choice_maps[key]

    def model_choices(self, model_field) -> list[tuple[str, str, str]]:
        options = []
        for value, label in model_field.flatchoices:
            with override("en"):
                english = str(label)
            with override("zh-hans"):
                chinese = str(label)
            options.append((str(value), english, chinese))
        return options

    def choice(self, key: str, options, text: str) -> str:
        if key not in self.choice_maps:
            self.choice_map(key, options() if callable(options) else options)
        found = self.choice_maps[key].get(search.normalize(text))
        if found is None:
            raise CellError(_("%(value)s is not one of the choices.") % {"value": text})
        return found

    def related_id(self, model_field, text: str, row: dict | None = None) -> Any:
        model = model_field.related_model
        if model is User:
            return self.user_id(text)
        target = registry.for_model(model)
        queryset = (
            model.objects.visible_to(self.user, Action.VIEW) if target else model.objects.all()
        )
        queryset, scope = self._scoped_by_row(model, queryset, row or {})
        cache_key = (model_field.name, text, scope)
        if cache_key in self.related:
            return self.related[cache_key]
        names = {f.name for f in model._meta.concrete_fields}
        matches: list[int] = []
        if text.isdigit():
            matches = list(queryset.filter(pk=int(text)).values_list("pk", flat=True)[:2])
        if not matches and "number" in names:
            matches = list(queryset.filter(number=text).values_list("pk", flat=True)[:2])
        if not matches and "name" in names:
            matches = list(queryset.filter(name=text).values_list("pk", flat=True)[:2])
        if not matches and "name_zh" in names:
            # Bilingual configuration (pipelines, stages): either language's name.
            named = queryset.filter(Q(name_zh=text) | Q(name_en=text))
            matches = list(named.values_list("pk", flat=True)[:2])
        label = str(model._meta.verbose_name)
        if not matches:
            raise CellError(
                _("No %(entity)s %(name)s was found.") % {"entity": label, "name": text}
            )
        if len(matches) > 1:
            raise CellError(
                _("Several records of %(entity)s are called %(name)s; use the number or id.")
                % {"entity": label, "name": text}
            )
        self.related[cache_key] = matches[0]
        return matches[0]

    def _scoped_by_row(self, model, queryset, row: dict) -> tuple[Any, tuple]:
        """Narrow a lookup to the row's own parent record, e.g. a stage to the row's pipeline."""
        scope = []
        for parent in model._meta.concrete_fields:
            if not isinstance(parent, models.ForeignKey) or parent.related_model is User:
                continue
            own = _model_field(self.entity, parent.name)
            value = row.get(parent.name)
            if value in (None, "") or own is None or own.related_model is not parent.related_model:
                continue
            queryset = queryset.filter(**{parent.attname: value})
            scope.append((parent.name, value))
        return queryset, tuple(scope)

    def field_value(self, name: str, text: str, row: dict | None = None) -> Any:
        if name not in self.model_fields:
            self.model_fields[name] = _model_field(self.entity, name)
        model_field = self.model_fields[name]
        if model_field is None:
            return text
        if model_field.choices:
            found = self.chosen.get((name, text))
            if found is None:
                found = self.choice(name, lambda: self.model_choices(model_field), text)
                if len(self.chosen) < 10000:
                    self.chosen[name, text] = found
            return found
        if isinstance(model_field, models.ForeignKey):
            return self.related_id(model_field, text, row)
        if isinstance(model_field, models.BooleanField):
            return boolean(text)
        if isinstance(model_field, models.DateTimeField):
            return text
        if isinstance(model_field, models.DateField):
            return parse_date(text)
        if isinstance(model_field, models.DecimalField | models.IntegerField | models.FloatField):
            return parse_number(text)
        return text

    def custom_value(self, key: str, text: str) -> Any:
        definition = self.definitions[key]
        kind = definition.field_type
        options = [
            (str(item.get("value")), item.get("label_en", ""), item.get("label_zh", ""))
            for item in definition.choices
            if isinstance(item, dict) and item.get("value") not in (None, "")
        ]
        if kind == T.CHOICE:
            return self.choice(CUSTOM + key, options, text)
        if kind == T.MULTI_CHOICE:
            parts = [part.strip() for part in _LIST_SPLIT.split(text) if part.strip()]
            return [self.choice(CUSTOM + key, options, part) for part in parts]
        if kind == T.BOOLEAN:
            return boolean(text)
        if kind == T.USER:
            return self.user_id(text)
        if kind == T.DATE:
            return parse_date(text)
        if kind in (T.NUMBER, T.DECIMAL):
            return parse_number(text)
        return text

    def form_data(self, cells: list[str], base: dict[str, Any]) -> tuple[dict, dict[str, list]]:
        """Return (form data, {target: [cell errors]}) for one row over `base` values.

        Empty cells keep the base value (the default of a new record, or the current
        value of the record being updated).
        """
        data = dict(base)
        errors: dict[str, list[str]] = {}
        for index, target in enumerate(self.mapping):
            if not target or index >= len(cells) or cells[index] == "":
                continue
            text = cells[index]
            try:
                if target.startswith(CUSTOM):
                    key = target[len(CUSTOM) :]
                    data[customfields.FORM_PREFIX + key] = self.custom_value(key, text)
                else:
                    data[target] = self.field_value(target, text, data)
            except CellError as error:
                errors[target] = [str(error)]
        if "owner" in data and data.get("owner") in (None, ""):
            data["owner"] = self.user.pk
        return {key: value for key, value in data.items() if value is not None}, errors


def boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise CellError(_("Write yes or no (是 or 否), not %(value)s.") % {"value": text})


def form_errors(form: forms.Form, labels: dict[str, str]) -> dict[str, list[str]]:
    """Return a form's errors keyed by import target (custom fields as custom.<key>)."""
    errors: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        key = name
        if name.startswith(customfields.FORM_PREFIX):
            key = CUSTOM + name[len(customfields.FORM_PREFIX) :]
        errors[key] = [str(message) for message in messages]
    return errors


def error_text(errors: dict[str, list[str]], labels: dict[str, str]) -> str:
    """Return row errors as one line: "Name: This field is required.; …"."""
    parts = []
    for key, messages in errors.items():
        label = labels.get(key, "") if key != "__all__" else ""
        for message in messages:
            parts.append(f"{label}: {message}" if label else message)
    return "; ".join(parts)
