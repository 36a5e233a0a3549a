"""Pydantic schemas generated from registrations, and record serialisation."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from ninja import Schema
from pydantic import create_model

from guanxi.core.registry import Entity

_cache: dict[tuple[str, str], type[Schema]] = {}


class ListParams(Schema):
    q: str | None = None
    ordering: str | None = None
    limit: int = 50
    offset: int = 0


def python_type(model_field: models.Field) -> Any:
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
        _cache[key] = create_model(f"{entity.model.__name__}In", __base__=Schema, **fields)
    return _cache[key]


def record_out(entity: Entity, record) -> dict[str, Any]:
    """Return a record as the API shows it: foreign keys as ids, custom values as stored."""
    data: dict[str, Any] = {}
    for name in entity.api_fields:
        model_field = entity.model._meta.get_field(name)
        data[name] = getattr(record, model_field.attname)
    data["custom"] = dict(getattr(record, "custom", None) or {})
    return data
