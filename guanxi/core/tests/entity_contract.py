"""Helpers of the registry-driven contract suite: build records and form data per entity."""

from __future__ import annotations

import importlib
from typing import Any

from django.forms.models import model_to_dict

from guanxi.core.registry import Entity


def factory_for(entity: Entity):
    module_name, _, class_name = entity.factory.rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)


def make_record(entity: Entity, *, owner, **kwargs):
    """Create a record of the entity owned by `owner` (related records owned by them too)."""
    return factory_for(entity)(owner=owner, **kwargs)


def form_payload(entity: Entity, record, **changes) -> dict[str, Any]:
    """Return POST data that would recreate `record` through the entity's form."""
    fields = list(entity.form_class._meta.fields)
    data = {}
    for key, value in model_to_dict(record, fields=fields).items():
        if value is None:
            continue
        data[key] = value
    data.update(changes)
    return data


def text_field(entity: Entity) -> str:
    """Return the first plain text field of the form, used to make a visible change."""
    return "name" if "name" in entity.form_class._meta.fields else entity.form_class._meta.fields[0]
