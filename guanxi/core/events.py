"""Domain events: services emit them, subscribers react after the transaction commits.

Events are named `<entity>.<past tense>` (`account.created`, `account.assigned`). A
subscriber is a plain function taking the event name and its payload. Nothing is sent
when the transaction rolls back.
"""

from __future__ import annotations

import contextvars
import fnmatch
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[["Event"], None]
_subscribers: list[tuple[str, Handler]] = []
# What caused the writes being made (set by the automation engine while a rule's actions
# run); an event remembers it when emitted, so rules can refuse to loop.
cause: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "event_cause", default=None
)


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    # Unique per emitted event, so a subscriber run twice on it can tell.
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    cause: dict[str, Any] | None = None


def subscribe(pattern: str, handler: Handler) -> None:
    """Call `handler` for every event whose name matches the glob `pattern` ("*.created")."""
    if (pattern, handler) not in _subscribers:
        _subscribers.append((pattern, handler))


def emit(name: str, **payload: Any) -> None:
    """Send an event to its subscribers once the current transaction commits."""
    event = Event(name, payload, cause=cause.get())
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
