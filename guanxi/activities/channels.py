"""The channel layer: who sends a message of each channel, and how a failure is told.

A channel (email, SMS) registers a sender factory; the factory is asked anew for each
delivery so settings changes (a new SMS provider, another SMTP server) apply at once.
A sender either returns a `Delivery` or raises `DeliveryError` — `permanent` when trying
again cannot help (an address the server refuses, a signature the provider rejects),
otherwise the message is retried with backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from guanxi.activities.models import Message


@dataclass(frozen=True)
class Delivery:
    """What a sender reports of a message it handed over."""

    provider: str
    provider_id: str = ""
    message_id: str = ""


class DeliveryError(Exception):
    """Say why a message could not be handed over, and whether trying again may help."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Sender(Protocol):
    def send(self, message: Message) -> Delivery: ...


_factories: dict[str, Callable[[], Sender]] = {}


def register_sender(channel: str, factory: Callable[[], Sender]) -> None:
    """Make `factory()` the sender of a channel's messages (a later call replaces it)."""
    _factories[channel] = factory


def sender_for(channel: str) -> Sender:
    """Return the sender of a channel; a channel nobody registered cannot send."""
    try:
        return _factories[channel]()
    except KeyError:
        raise DeliveryError(f"no sender for channel {channel!r}", permanent=True) from None


def is_default_sender(channel: str, factory: Callable[[], Sender]) -> bool:
    """Tell whether a channel is still sent by `factory` (no test or app replaced it)."""
    return _factories.get(channel) is factory
