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
    for model_field in instance._meta.concrete_fields:
        if model_field.name in SKIPPED_FIELDS or getattr(model_field, "audit", True) is False:
            continue
        if model_field.name.endswith("_e164") or model_field.name.endswith("_normalized"):
            continue
        if isinstance(model_field, models.ForeignKey):
            related_id = getattr(instance, model_field.attname)
            if related_id is None:
                values[model_field.name] = None
            else:
                related = getattr(instance, model_field.name)
                values[model_field.name] = {"id": related_id, "repr": str(related)}
        else:
            values[model_field.name] = _plain(getattr(instance, model_field.attname))
    for key, value in (getattr(instance, "custom", None) or {}).items():
        values[f"custom.{key}"] = value
    return values


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
