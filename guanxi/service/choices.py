"""Choices of customer care (客户关怀)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    """Whom a care plan looks after: the people at customers, or the customers themselves."""

    CONTACT = "contact", _("Contacts")
    ACCOUNT = "account", _("Customers")


class Occasion(models.TextChoices):
    YEARLY = "yearly", _("A date every year")
    EVENT = "event", _("Some days after an event")


class AssignTo(models.TextChoices):
    OWNER = "owner", _("The record's owner")
    USER = "user", _("A named user")
    TEAM = "team", _("A team, in turn (round robin)")


class CareStatus(models.TextChoices):
    OPEN = "open", _("Not done yet")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
