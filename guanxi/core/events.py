"""Domain events: services emit them, subscribers react after the transaction commits.

Events are named `<entity>.<past tense>` (`account.created`, `account.assigned`). A
subscriber is a plain function taking the event name and its payload. Nothing is sent
when the transaction rolls back.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[["Event"], None]
_subscribers: list[tuple[str, Handler]] = []


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)


def subscribe(pattern: str, handler: Handler) -> None:
    """Call `handler` for every event whose name matches the glob `pattern` ("*.created")."""
    if (pattern, handler) not in _subscribers:
        _subscribers.append((pattern, handler))


def emit(name: str, **payload: Any) -> None:
    """Send an event to its subscribers once the current transaction commits."""
    event = Event(name, payload)
    transaction.on_commit(lambda: dispatch(event))


def dispatch(event: Event) -> None:
    for pattern, handler in list(_subscribers):
        if fnmatch.fnmatchcase(event.name, pattern):
            try:
                handler(event)
            except Exception:
                # A failing subscriber must not undo the committed business action nor
                # starve the others; it is logged where operators look.
                logger.exception("Subscriber %s failed on %s", handler.__name__, event.name)
