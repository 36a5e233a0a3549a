"""Platform reactions to domain events."""

import logging

from guanxi.core import events

logger = logging.getLogger("guanxi.events")


def log_event(event: events.Event) -> None:
    """Leave a trace of every domain event in the log, for operators."""
    logger.info("%s %s", event.name, {k: v for k, v in event.payload.items() if k != "changes"})


events.subscribe("*", log_event)
