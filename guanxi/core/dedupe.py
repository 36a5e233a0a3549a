"""Duplicate detection: find existing records that are probably the same as given values.

The entry points (forms, API, import, lead conversion) all call `find_duplicates`; what
counts as "the same" is decided per entity from its registered search keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from guanxi.core import registry, search
from guanxi.core.models import SearchToken


@dataclass(frozen=True)
class DuplicateMatch:
    """One existing record that looks like the values checked, with why and how sure."""

    record: models.Model
    score: float  # 0..1
    reasons: list[str] = field(default_factory=list)


def _strong_keys(entity: registry.Entity, values: dict[str, Any]) -> dict[str, str]:
    """Return {search key: reason} for the keys that identify a record on their own."""
    model = entity.model
    names = {f.name for f in model._meta.concrete_fields}
    instance = model(**{key: value for key, value in values.items() if key in names})
    keys: dict[str, str] = {}
    for name in ("phone", "mobile"):
        if name in names:
            # The first key is the whole international number; shorter ones are for search.
            phone = search.phone_keys(getattr(instance, name) or "")
            if phone:
                keys[phone[0]] = _("same phone")
    if "email" in names and getattr(instance, "email", ""):
        keys[instance.email.strip().lower()] = _("same email")
    if "name" in names and getattr(instance, "name", ""):
        core = search.strip_company_name(instance.name) if entity.name == "account" else ""
        keys[core or search.normalize(instance.name)] = _("same name")
    return {key[: search.MAX_KEY_LENGTH]: reason for key, reason in keys.items() if key}


def find_duplicates(
    entity_name: str,
    values: dict[str, Any],
    *,
    user=None,
    exclude_pk: int | None = None,
    limit: int = 10,
) -> list[DuplicateMatch]:
    """Return existing records that look like `values`, best first.

    With `user`, only records that user may view are returned.
    """
    entity = registry.get(entity_name)
    keys = _strong_keys(entity, values)
    if not keys:
        return []
    reasons_by_id: dict[int, list[str]] = {}
    for object_id, token in SearchToken.objects.filter(
        entity=entity_name, token__in=list(keys)
    ).values_list("object_id", "token")[:1000]:
        reasons = reasons_by_id.setdefault(object_id, [])
        if keys[token] not in reasons:
            reasons.append(keys[token])
    reasons_by_id.pop(exclude_pk, None)
    if not reasons_by_id:
        return []
    queryset = (
        entity.model.objects.all()
        if user is None
        else entity.model.objects.visible_to(user, "view")
    )
    records = queryset.filter(pk__in=list(reasons_by_id))
    matches = [
        DuplicateMatch(
            record=record,
            score=min(1.0, 0.6 + 0.2 * len(reasons_by_id[record.pk])),
            reasons=reasons_by_id[record.pk],
        )
        for record in records
    ]
    matches.sort(key=lambda match: (-match.score, match.record.pk))
    return matches[:limit]
