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
    # Choices that depend on who looks, e.g. the groups a user may see.
    user_choices: Callable[[Any], Iterable[tuple[Any, Any]]] | None = None
    # A condition computed from the chosen values and the user, for filters that are not
    # one field lookup (tags, groups, consent): (values, user) -> Q.
    condition: Callable[[list[str], Any], Any] | None = None


@dataclass
class Tab:
    """Describe one tab on a detail page, rendered from a template with extra context."""

    key: str
    label: str | Promise
    template: str
    context: Callable[[Any, Any], dict] | None = None
    # Shown only on the records it applies to, e.g. a competitor's page: (record, user).
    visible: Callable[[Any, Any], bool] | None = None


@dataclass
class DuplicateField:
    """Describe one field duplicate detection compares (CUS-5).

    `method` is how values are normalised and compared (company_name, person_name, phone,
    email, address, exact); `sources` are the model fields read, e.g. mobile and phone.
    """

    key: str
    label: str | Promise
    method: str
    sources: tuple[str, ...]
    weight: float
    # The finder skips blocks of more records sharing this field's key than this.
    max_block: int = 40


@dataclass
class DuplicateRules:
    """Describe how an entity's duplicates are found: compared fields and the threshold."""

    fields: list[DuplicateField]
    threshold: float = 0.75
    # Pairs of field keys combined into one blocking key, so that a common value (张伟)
    # still makes small blocks together with another field (the customer).
    combined_keys: list[tuple[str, str]] = field(default_factory=list)


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
    # Many-to-many fields lists and the API read in one query per page, not per row.
    prefetch_related: tuple[str, ...] = ()
    ordering: str = "-id"
    api_fields: list[str] = field(default_factory=list)
    bulk_edit_fields: list[str] = field(default_factory=list)
    export_fields: list[str] = field(default_factory=list)
    tabs: list[Tab] = field(default_factory=list)
    detail_fields: list[str] = field(default_factory=list)
    menu_order: int = 100
    factory: str = ""
    number_sequence: str = ""
    duplicates: DuplicateRules | None = None
    # Templates an app adds for what is special about the entity: buttons on the detail
    # page (context: entity, record, can_edit …) and bulk buttons on the list (inside the
    # selection form).
    detail_actions: str = ""
    bulk_actions: str = ""
    # More detail-page button templates that other apps add, e.g. "Send email".
    extra_detail_actions: list[str] = field(default_factory=list)
    # A template shown under the fields on the overview tab (context as detail_actions).
    overview_extra: str = ""
    # Records can carry tags and join groups (core.grouping).
    has_tags: bool = False
    has_groups: bool = False
    # Fields that hold personal data and how to mask them: {"mobile": "phone", "email":
    # "email", "id_number": "id_number"} (core.privacy).
    personal_fields: dict[str, str] = field(default_factory=dict)
    # The field holding the email address bulk "extract email addresses" collects.
    email_field: str = ""
    # Return a record's postal address for envelopes and labels (core.documents).
    postal_address: Callable[[Any], Any] | None = None
    # Change-history keys that are not fields: {key: (label, choices or None)}, e.g. the
    # consent of a channel.
    extra_history_fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    # Called with the actor, the selection and the values before a bulk edit writes; it
    # refuses the whole edit by raising ValidationError (e.g. an owner's customer cap).
    before_bulk_set: Callable[[Any, Any, dict], None] | None = None
    # Called with a record and the names of the fields a bulk edit just set on it.
    on_bulk_set: Callable[[Any, Iterable[str]], None] | None = None
    # Called inside the write's transaction after a form created (before is None) or
    # updated a record: (actor, record, before snapshot) — e.g. a series' next occurrence.
    after_write: Callable[[Any, Any, dict | None], None] | None = None
    # Extra payload of the entity's domain events, e.g. the customer an activity is with.
    event_payload: Callable[[Any], dict[str, Any]] | None = None

    @property
    def verbose_name(self) -> str:
        return self.model._meta.verbose_name

    @property
    def verbose_name_plural(self) -> str:
        return self.model._meta.verbose_name_plural

    def url_name(self, view: str) -> str:
        return f"web:{self.name}_{view}"


@dataclass
class Link:
    """Describe a screen an app adds to the sidebar ("menu") or the settings ("settings")."""

    url_name: str
    label: str | Promise
    icon: str = "circle"
    order: int = 100
    visible: Callable[[Any], bool] = lambda user: True
    section: str = ""
    # The settings menu's heading the link sits under: "customers", "sales", "activities"
    # or "workflow" (see web.context_processors.SETTINGS_MENU_GROUPS).
    group: str = ""


_entities: dict[str, Entity] = {}
_links: dict[str, list[Link]] = {}


def register_link(area: str, link: Link) -> Link:
    """Add a link to the sidebar ("menu") or to the settings menu ("settings")."""
    links = _links.setdefault(area, [])
    if all(existing.url_name != link.url_name for existing in links):
        links.append(link)
    return link


def links(area: str, user) -> list[Link]:
    """Return the links of an area the user may follow, in their order."""
    chosen = [link for link in _links.get(area, []) if link.visible(user)]
    return sorted(chosen, key=lambda link: link.order)


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
