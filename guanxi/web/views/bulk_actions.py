"""The bulk actions a list offers on its selection, beyond edit, export and delete.

Each action registers once with the permission it needs and the entities it applies to;
the list shows it in its "More actions" menu and the URLs give it
`<plural>/bulk/<key>/`. The view receives the selection as bulk edit does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise

from guanxi.core import privacy
from guanxi.core.permissions import can
from guanxi.core.registry import Entity


@dataclass(frozen=True)
class BulkAction:
    """Describe one bulk action: its URL key, menu label and icon, view and permission."""

    key: str
    label: str | Promise
    icon: str
    view: Callable[..., Any]
    action: str
    applies: Callable[[Entity], bool] = lambda entity: True
    # Another entity's permission the action also needs, e.g. editing groups.
    also_needs: tuple[str, str] | None = None
    # Hidden from users who see personal data masked (core.privacy).
    shows_personal_data: bool = False


_actions: list[BulkAction] = []


def register(action: BulkAction) -> BulkAction:
    if any(existing.key == action.key for existing in _actions):
        raise ValueError(f"Bulk action {action.key!r} is already registered.")
    _actions.append(action)
    return action


def actions_for(entity: Entity) -> list[BulkAction]:
    """Return the actions that apply to an entity (for its URLs)."""
    return [action for action in _actions if action.applies(entity)]


def menu_for(entity: Entity, user) -> list[dict]:
    """Return the actions the user may take on the entity's selection, with their URLs."""
    items = []
    masked = privacy.masks_personal_data(user)
    for action in actions_for(entity):
        if action.shows_personal_data and masked:
            continue
        if not can(user, entity.name, action.action):
            continue
        if action.also_needs and not can(user, *action.also_needs):
            continue
        items.append(
            {
                "key": action.key,
                "label": action.label,
                "icon": action.icon,
                "url": reverse(entity.url_name(f"bulk_{action.key}")),
            }
        )
    return items
