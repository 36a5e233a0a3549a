"""Change history (操作日志): snapshots of records and the before → after of each write."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import models

from guanxi.core.choices import AuditAction
from guanxi.core.models import AuditEntry

SKIPPED_FIELDS = {"id", "created_at", "updated_at", "created_by", "updated_by", "version", "custom"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """Return the audited values of a record: fields by name, custom fields as custom.<key>.

    Foreign keys are kept as {"id", "repr"} so history reads well after the target changes.
    """
    values: dict[str, Any] = {}
    state = instance.__dict__
    for name, attname, relation in _audited_fields(type(instance)):
        if relation:
            related_id = state.get(attname) if attname in state else getattr(instance, attname)
            if related_id is None:
                values[name] = None
            else:
                values[name] = {"id": related_id, "repr": str(getattr(instance, name))}
        else:
            value = state[attname] if attname in state else getattr(instance, attname)
            values[name] = value if type(value) is str else _plain(value)
    for key, value in (getattr(instance, "custom", None) or {}).items():
        values[f"custom.{key}"] = value
    return values


_AUDITED: dict[type, list[tuple[str, str, bool]]] = {}


def _audited_fields(model: type[models.Model]) -> list[tuple[str, str, bool]]:
    """Return (name, attribute, is a foreign key) of the fields a snapshot holds, in order."""
    fields = _AUDITED.get(model)
    if fields is None:
        fields = _AUDITED[model] = [
            (f.name, f.attname, isinstance(f, models.ForeignKey))
            for f in model._meta.concrete_fields
            if f.name not in SKIPPED_FIELDS
            and getattr(f, "audit", True) is not False
            and not f.name.endswith(("_e164", "_normalized"))
        ]
    return fields


def _blank(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for every value that changed (blank to blank is none)."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new and not (_blank(old) and _blank(new)):
            changes[key] = [old, new]
    return changes


def record(
    *,
    actor,
    entity: str,
    instance: models.Model,
    action: str,
    changes: dict[str, list[Any]],
    batch: str = "",
    rule: str = "",
) -> AuditEntry | None:
    """Write one change-history row; an update that changed nothing writes none."""
    if action == AuditAction.UPDATE and not changes:
        return None
    return AuditEntry.objects.create(
        entity=entity,
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        changes=changes,
        batch=batch,
        rule=rule[:200],
    )


def history(entity: str, object_id: int):
    """Return the change history of a record, newest first, with the acting users."""
    return AuditEntry.objects.filter(entity=entity, object_id=object_id).select_related("actor")
