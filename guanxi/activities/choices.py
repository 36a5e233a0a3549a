"""Choices of activities and tasks (跟进记录, 待办)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    NOTE = "note", _("Note")
    TASK = "task", _("Task")


# Kinds that take place over a span of time and show as events in calendars.
EVENT_KINDS = (ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.VISIT)


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (ActivityStatus.PLANNED, ActivityStatus.IN_PROGRESS)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Outcome(models.TextChoices):
    """How a contact attempt went, for calls and visits (blank when not said)."""

    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")
    INTERESTED = "interested", _("Interested")
    NOT_INTERESTED = "not_interested", _("Not interested")
    FOLLOW_UP = "follow_up", _("Follow-up needed")


class Recurrence(models.TextChoices):
    NONE = "", _("Does not repeat")
    DAILY = "daily", _("Daily")
    WEEKDAYS = "weekdays", _("Every weekday (Monday to Friday)")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    YEARLY = "yearly", _("Yearly")


class Channel(models.TextChoices):
    """A way of reaching a person: the channel layer sends and receives through these."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class MessageDirection(models.TextChoices):
    OUTBOUND = "out", _("Sent")
    INBOUND = "in", _("Received")


class MessageStatus(models.TextChoices):
    """Where one message to one recipient stands; every queued message ends sent or failed."""

    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")
    RECEIVED = "received", _("Received")


class TemplateLanguage(models.TextChoices):
    ANY = "", _("Any language")
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class MailSecurity(models.TextChoices):
    """How a mailbox's connection to its IMAP server is protected."""

    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (only for a server on this machine or network)")
