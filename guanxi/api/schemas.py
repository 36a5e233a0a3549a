"""Pydantic schemas generated from registrations, and record serialisation."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from ninja import Schema
from pydantic import create_model

from guanxi.core import privacy
from guanxi.core.registry import Entity

_cache: dict[tuple[str, str], type[Schema]] = {}


class ListParams(Schema):
    q: str | None = None
    ordering: str | None = None
    limit: int = 50
    offset: int = 0


def python_type(model_field: models.Field) -> Any:
    if isinstance(model_field, models.ManyToManyField):
        return list[int]
    if isinstance(model_field, models.JSONField):
        return Any
    if isinstance(model_field, models.ForeignKey):
        return int
    if isinstance(model_field, models.BooleanField):
        return bool
    if isinstance(model_field, models.DecimalField):
        return Decimal
    if isinstance(model_field, models.IntegerField | models.AutoField | models.BigAutoField):
        return int
    if isinstance(model_field, models.DateTimeField):
        return datetime.datetime
    if isinstance(model_field, models.DateField):
        return datetime.date
    return str


def out_schema(entity: Entity) -> type[Schema]:
    """Return the response schema of an entity: its API fields plus `custom`."""
    key = (entity.name, "out")
    if key not in _cache:
        fields: dict[str, Any] = {}
        for name in entity.api_fields:
            model_field = entity.model._meta.get_field(name)
            fields[name] = (python_type(model_field) | None, None)
        fields["custom"] = (dict[str, Any], {})
        if entity.has_tags:
            fields["tags"] = (list[str], [])
        if entity.has_groups:
            fields["groups"] = (list[int], [])
        _cache[key] = create_model(f"{entity.model.__name__}Out", __base__=Schema, **fields)
    return _cache[key]


def in_schema(entity: Entity) -> type[Schema]:
    """Return the request schema of an entity: its form fields, all optional, plus `custom`.

    Required fields and value rules are checked by the entity's form, so the API answers
    with the same messages as the screens, in the user's language.
    """
    key = (entity.name, "in")
    if key not in _cache:
        fields: dict[str, Any] = {}
        for name in entity.form_class._meta.fields:
            model_field = entity.model._meta.get_field(name)
            fields[name] = (python_type(model_field) | None, None)
        fields["custom"] = (dict[str, Any] | None, None)
        fields["version"] = (int | None, None)
        if entity.has_tags:
            fields["tags"] = (list[str] | None, None)
        if entity.has_groups:
            fields["groups"] = (list[int] | None, None)
        _cache[key] = create_model(f"{entity.model.__name__}In", __base__=Schema, **fields)
    return _cache[key]


def record_out(entity: Entity, record, *, mask: bool = False) -> dict[str, Any]:
    """Return a record as the API shows it: foreign keys as ids, custom values as stored.

    Tags and groups come from `core.grouping.attach`; with `mask`, personal data is masked.
    """
    data: dict[str, Any] = {}
    for name in entity.api_fields:
        model_field = entity.model._meta.get_field(name)
        if model_field.many_to_many:
            # Read from the prefetched rows (Entity.prefetch_related), not one query each.
            data[name] = [related.pk for related in getattr(record, name).all()]
            continue
        data[name] = privacy.shown(entity, name, getattr(record, model_field.attname), mask)
    data["custom"] = dict(getattr(record, "custom", None) or {})
    if entity.has_tags:
        data["tags"] = [tag.name for tag in getattr(record, "tag_list", [])]
    if entity.has_groups:
        data["groups"] = [group.pk for group in getattr(record, "group_list", [])]
    return data
