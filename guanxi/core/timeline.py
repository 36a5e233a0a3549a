"""Timelines (CUS-8): everything linked to a record, newest first, from registered sources.

Every entity's timeline has its own change history. An entity adds more kinds by
registering a source — accounts add their contacts' changes; activities, deals, orders and
tickets add theirs when they arrive. A source returns its newest items older than a
moment; the timeline merges the sources and pages by time, so each page costs one indexed
query per source however long the history is.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.core import customfields, display, privacy, registry
from guanxi.core.models import AuditEntry

MAX_PAGE = 100


@dataclass
class TimelineItem:
    """One thing that happened to or around a record."""

    at: datetime.datetime
    kind: str
    title: str
    body: str = ""
    actor_id: int | None = None
    actor_name: str = ""
    url: str = ""
    changes: list[dict[str, Any]] = field(default_factory=list)
    action: str = ""
    rule: str = ""  # the classification rule that made a change, if one did


# items(record, user, before, limit) -> the newest `limit` items older than `before`
ItemsFunction = Callable[[Any, Any, datetime.datetime | None, int], Iterable[TimelineItem]]


@dataclass
class TimelineSource:
    """A kind of timeline item and how to read the items of one record."""

    kind: str
    label: str | Promise
    icon: str
    items: ItemsFunction


_sources: dict[str, list[TimelineSource]] = {}


def register(entity_name: str, source: TimelineSource) -> None:
    """Add a source of items to an entity's timeline (kinds are unique per entity)."""
    sources = _sources.setdefault(entity_name, [])
    sources[:] = [existing for existing in sources if existing.kind != source.kind]
    sources.append(source)


def sources(entity_name: str) -> list[TimelineSource]:
    """Return the sources of an entity's timeline, its own change history first."""
    return [CHANGE_SOURCE, *_sources.get(entity_name, [])]


def has_sources(entity_name: str) -> bool:
    return bool(_sources.get(entity_name))


def timeline(
    entity_name: str,
    record,
    user,
    *,
    kinds: Iterable[str] | None = None,
    before: datetime.datetime | None = None,
    limit: int = 25,
) -> tuple[list[TimelineItem], datetime.datetime | None]:
    """Return one page of a record's timeline and the moment the next page starts before."""
    limit = max(1, min(limit, MAX_PAGE))
    wanted = set(kinds or [])
    items: list[TimelineItem] = []
    for source in sources(entity_name):
        if wanted and source.kind not in wanted:
            continue
        items.extend(source.items(record, user, before, limit + 1))
    items.sort(key=lambda item: item.at, reverse=True)
    page = items[:limit]
    next_before = page[-1].at if len(items) > limit else None
    return page, next_before


def change_items(
    entity_name: str,
    object_ids,
    before,
    limit: int,
    *,
    user,
    kind: str = "change",
    title_of=None,
) -> list[TimelineItem]:
    """Return change-history items of records of one entity (ids or a pk subquery).

    Personal data in the changes is masked for users whose roles mask it.
    """
    entity = registry.get(entity_name)
    mask = privacy.masks_personal_data(user)
    entries = AuditEntry.objects.filter(entity=entity_name, object_id__in=object_ids)
    if before is not None:
        entries = entries.filter(at__lt=before)
    definitions = {d.key: d for d in customfields.definitions(entity_name)}
    items = []
    for entry in entries.select_related("actor").order_by("-at")[:limit]:
        changes = []
        for key, values in entry.changes.items():
            before_value = privacy.shown(entity, key, values[0], mask)
            after_value = privacy.shown(entity, key, values[1], mask)
            changes.append(
                {
                    "field": key,
                    "label": display.field_label(entity, key, definitions),
                    "before": before_value,
                    "after": after_value,
                    "before_display": display.history_value(entity, key, before_value, definitions),
                    "after_display": display.history_value(entity, key, after_value, definitions),
                }
            )
        items.append(
            TimelineItem(
                at=entry.at,
                kind=kind,
                title=title_of(entry) if title_of else entry.get_action_display(),
                actor_id=entry.actor_id,
                actor_name=str(entry.actor) if entry.actor else "",
                changes=changes,
                action=entry.action,
                rule=entry.rule,
            )
        )
    return items


def _own_changes(record, user, before, limit):
    entity = registry.for_model(type(record))
    return change_items(entity.name, [record.pk], before, limit, user=user)


CHANGE_SOURCE = TimelineSource(
    kind="change", label=_("Changes"), icon="history", items=_own_changes
)
