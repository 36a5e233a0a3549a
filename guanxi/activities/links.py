"""What activities can be linked to: any registered entity that says which customer it is of.

Accounts and contacts register here; sales, service and commerce register their records
(`opportunity`, `ticket`, `order` …) the same way, and their pages get an Activities tab,
their timelines the activities, and the customer's 360° timeline them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry, timeline
from guanxi.core.choices import Action
from guanxi.core.registry import Tab


@dataclass
class Linkable:
    entity: str
    # The pk of the customer a record belongs to (None when it has none).
    account_of: Callable[[Any], int | None]


_linkables: dict[str, Linkable] = {}


def register_linkable(entity_name: str, account_of: Callable[[Any], int | None]) -> None:
    """Let activities link to records of an entity; its page gets an Activities tab and
    its timeline the activities."""
    from guanxi.activities.timeline import SOURCE

    _linkables[entity_name] = Linkable(entity_name, account_of)
    timeline.register(entity_name, SOURCE)
    entity = registry.get(entity_name)
    if all(tab.key != "activities" for tab in entity.tabs):
        entity.tabs.insert(0, ACTIVITIES_TAB)
    if all(tab.key != "messages" for tab in entity.tabs):
        entity.tabs.insert(1, MESSAGES_TAB)
    if SEND_ACTIONS not in entity.extra_detail_actions:
        entity.extra_detail_actions.append(SEND_ACTIONS)


def linkable(entity_name: str) -> Linkable | None:
    return _linkables.get(entity_name)


def linkable_entities() -> list[str]:
    return list(_linkables)


def linked_record(entity_name: str, pk, user):
    """Return the record an activity would link to, if linkable and visible to the user."""
    spec = _linkables.get(entity_name or "")
    if spec is None or pk in (None, ""):
        return None
    entity = registry.get(entity_name)
    try:
        return entity.model.objects.visible_to(user, Action.VIEW).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def account_id_of(entity_name: str, record) -> int | None:
    spec = _linkables.get(entity_name or "")
    return spec.account_of(record) if spec and record is not None else None


def activities_tab_context(record, user) -> dict:
    from guanxi.activities.queries import activities_of

    entity = registry.for_model(type(record))
    return {
        "activities": activities_of(entity.name, record, user)[:50],
        "link_entity": entity.name,
        "link_id": record.pk,
    }


# "Send email" and "Send SMS" on the page of every record activities link to.
SEND_ACTIONS = "activities/partials/send_actions.html"

ACTIVITIES_TAB = Tab(
    "activities",
    _("Activities"),
    "activities/partials/record_activities.html",
    activities_tab_context,
)


def messages_tab_context(record, user) -> dict:
    from guanxi.activities.queries import messages_of

    entity = registry.for_model(type(record))
    return {
        "record_messages": list(messages_of(entity.name, record, user)[:50]),
        "link_entity": entity.name,
        "link_id": record.pk,
    }


MESSAGES_TAB = Tab(
    "messages",
    _("Messages"),
    "activities/partials/record_messages.html",
    messages_tab_context,
)

register_linkable("account", lambda account: account.pk)
register_linkable("contact", lambda contact: contact.account_id)
