"""The entity registry: each entity registers once and the generic layer does the rest.

A registration names the model, its form, list columns, filters, search keys and API
fields. From it come the list/detail/create/edit/delete/bulk/export screens, the REST
API routes, the menu entry, global search and the shared permission tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.functional import Promise


@dataclass
class Column:
    """Describe one list column; `key` is a field name, a dotted path or "custom.<key>"."""

    key: str
    label: str | Promise | None = None
    sortable: bool = True
    order_by: str | None = None
    default: bool = True
    render: Callable[[Any], Any] | None = None
    link: bool = False


@dataclass
class Filter:
    """Describe one list filter and the lookup it applies."""

    key: str
    label: str | Promise
    kind: str = "choice"  # choice, text, user, boolean, date_range, related
    lookup: str | None = None
    choices: Callable[[], Iterable[tuple[Any, Any]]] | None = None


@dataclass
class Tab:
    """Describe one tab on a detail page, rendered from a template with extra context."""

    key: str
    label: str | Promise
    template: str
    context: Callable[[Any, Any], dict] | None = None


@dataclass
class Entity:
    """Hold everything the generic layer needs to know about one entity."""

    name: str
    model: type[models.Model]
    plural: str
    form_class: type
    columns: list[Column]
    icon: str = "circle"
    filters: list[Filter] = field(default_factory=list)
    search_keys: Callable[[Any], Iterable[str]] | None = None
    search_subtitle: Callable[[Any], str] | None = None
    select_related: tuple[str, ...] = ()
    ordering: str = "-id"
    api_fields: list[str] = field(default_factory=list)
    bulk_edit_fields: list[str] = field(default_factory=list)
    export_fields: list[str] = field(default_factory=list)
    tabs: list[Tab] = field(default_factory=list)
    detail_fields: list[str] = field(default_factory=list)
    menu_order: int = 100
    factory: str = ""
    number_sequence: str = ""
    # Called with a record and the names of the fields a bulk edit just set on it.
    on_bulk_set: Callable[[Any, Iterable[str]], None] | None = None

    @property
    def verbose_name(self) -> str:
        return self.model._meta.verbose_name

    @property
    def verbose_name_plural(self) -> str:
        return self.model._meta.verbose_name_plural

    def url_name(self, view: str) -> str:
        return f"web:{self.name}_{view}"


_entities: dict[str, Entity] = {}


def register(entity: Entity) -> Entity:
    """Register an entity; the model learns its entity name for the data-scope path."""
    if entity.name in _entities:
        raise ValueError(f"Entity {entity.name!r} is already registered.")
    entity.model.entity_name = entity.name
    _entities[entity.name] = entity
    return entity


def get(name: str) -> Entity:
    return _entities[name]


def find(name: str) -> Entity | None:
    return _entities.get(name)


def for_model(model: type[models.Model]) -> Entity | None:
    for entity in _entities.values():
        if entity.model is model:
            return entity
    return None


def by_plural(plural: str) -> Entity | None:
    for entity in _entities.values():
        if entity.plural == plural:
            return entity
    return None


def entities() -> list[Entity]:
    return sorted(_entities.values(), key=lambda entity: entity.menu_order)
