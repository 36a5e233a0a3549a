"""Reads shared by list views, the API and exports: filtering, search, sorting, counting."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.utils.text import capfirst

from guanxi.core import customfields, search
from guanxi.core.registry import Column, Entity

CUSTOM_PREFIX = "custom."


def _values(params: Mapping, key: str) -> list[str]:
    if hasattr(params, "getlist"):
        values = params.getlist(key)
    else:
        value = params.get(key)
        values = value if isinstance(value, list) else [value]
    return [str(value) for value in values if value not in (None, "")]


def _parse_date(raw: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw)
    except (TypeError, ValueError):
        return None


def filter_condition(entity: Entity, params: Mapping, user) -> Q:
    """Return the condition of the registered filters set in `params`."""
    condition = Q()
    for spec in entity.filters:
        lookup = spec.lookup or spec.key
        if spec.kind == "date_range":
            start = _parse_date((_values(params, f"{spec.key}_from") or [""])[0])
            end = _parse_date((_values(params, f"{spec.key}_to") or [""])[0])
            if start:
                condition &= Q(**{f"{lookup}__date__gte": start})
            if end:
                condition &= Q(**{f"{lookup}__date__lte": end})
            continue
        values = _values(params, spec.key)
        if not values:
            continue
        if spec.condition is not None:
            condition &= spec.condition(values, user)
        elif spec.kind == "text":
            condition &= Q(**{f"{lookup}__istartswith": values[0]})
        elif spec.kind == "boolean":
            condition &= Q(**{lookup: values[0].lower() in {"1", "true", "yes", "on"}})
        elif spec.kind == "user":
            ids = [str(user.pk) if value == "me" else value for value in values]
            ids = [int(value) for value in ids if value.isdigit()]
            condition &= Q(**{f"{lookup}_id__in": ids}) if ids else Q(pk__in=[])
        elif spec.kind == "related":
            ids = [int(value) for value in values if value.isdigit()]
            condition &= Q(**{f"{lookup}__in": ids}) if ids else Q(pk__in=[])
        else:
            condition &= Q(**{f"{lookup}__in": values})
    for definition in customfields.definitions(entity.name):
        raw = (_values(params, CUSTOM_PREFIX + definition.key) or [""])[0]
        custom = customfields.filter_q(definition, raw)
        if custom is not None:
            condition &= custom
    return condition


def sortable_keys(entity: Entity) -> dict[str, str]:
    """Return {column key: order_by expression} for the columns a list may be sorted by."""
    keys = {}
    for column in entity.columns:
        if column.sortable:
            keys[column.key] = column.order_by or column.key
    return keys


def ordering_for(entity: Entity, raw: str | None) -> list[str]:
    """Return a safe order_by list for a requested ordering like "-name"."""
    raw = (raw or "").strip()
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    expression = sortable_keys(entity).get(key)
    if expression is None:
        expression = entity.ordering.lstrip("-")
        descending = entity.ordering.startswith("-")
    prefix = "-" if descending else ""
    return [f"{prefix}{expression}", f"{prefix}id"]


def record_list(entity: Entity, user, params: Mapping, *, action: str = "view") -> QuerySet:
    """Return the records of an entity the user may see, filtered, searched and sorted."""
    queryset = entity.model.objects.visible_to(user, action)
    condition = filter_condition(entity, params, user)
    if condition:
        queryset = queryset.filter(condition)
    query = (_values(params, "q") or [""])[0].strip()
    if query:
        queryset = queryset.filter(pk__in=search.matching_ids(entity.name, query))
    ordering = (_values(params, "ordering") or [""])[0]
    queryset = queryset.select_related(*entity.select_related)
    if entity.prefetch_related:
        queryset = queryset.prefetch_related(*entity.prefetch_related)
    return queryset.order_by(*ordering_for(entity, ordering))


def capped_count(queryset: QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """Return (count, more): the exact count up to a cap, past which counting stops.

    An exact COUNT(*) over a million rows takes seconds; nobody pages through 10,000 rows.
    """
    cap = cap or settings.GUANXI_LIST_COUNT_CAP
    count = queryset.order_by()[: cap + 1].count()
    return (cap, True) if count > cap else (count, False)


def chosen_columns(entity: Entity, user, requested: list[str] | None = None) -> list[Column]:
    """Return the list columns the user chose (or the defaults), custom fields included."""
    available = all_columns(entity)
    by_key = {column.key: column for column in available}
    keys = requested or (user.preferences.get("columns", {}).get(entity.name) if user else None)
    if keys:
        columns = [by_key[key] for key in keys if key in by_key]
        if columns:
            return columns
    return [column for column in available if column.default]


def all_columns(entity: Entity) -> list[Column]:
    """Return the registered columns followed by one per custom field."""
    columns = list(entity.columns)
    for definition in customfields.definitions(entity.name):
        columns.append(
            Column(
                CUSTOM_PREFIX + definition.key,
                label=definition.label,
                sortable=False,
                default=definition.show_in_list,
            )
        )
    return columns


def column_label(entity: Entity, column: Column) -> str:
    if column.label:
        return str(column.label)
    field_name = column.key.split(".")[0]
    try:
        return capfirst(str(entity.model._meta.get_field(field_name).verbose_name))
    except FieldDoesNotExist:
        return column.key


def field_value(record: Any, key: str) -> Any:
    """Return the raw value of a (dotted) field of a record."""
    value = record
    for part in key.split("."):
        value = getattr(value, part, None) if value is not None else None
    return value
