"""Models of the activities app; each part of the app keeps its models in its own module."""

from guanxi.activities.models.activity import Activity, ActivityAttachment
from guanxi.activities.models.calendar import CalendarFeed  # noqa: F401
from guanxi.activities.models.mailbox import Mailbox
from guanxi.activities.models.messages import (
    Message,
    MessageAttachment,
    MessageBatch,
    MessageTemplate,
)

__all__ = [
    "Activity",
    "ActivityAttachment",
    "Mailbox",
    "Message",
    "MessageAttachment",
    "MessageBatch",
    "MessageTemplate",
]
