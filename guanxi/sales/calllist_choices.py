"""Choices of telesales call lists (电话销售): what they call, list and entry statuses."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallListEntity(models.TextChoices):
    """Which records a call list works through."""

    LEAD = "lead", _("Leads")
    CONTACT = "contact", _("Contacts")
    ACCOUNT = "account", _("Customers")


class CallListStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")


class EntryStatus(models.TextChoices):
    """Where one record of a call list stands."""

    PENDING = "pending", _("Pending")
    CALLED = "called", _("Called, try again")
    CALLBACK = "callback", _("Call back")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class SplitMethod(models.TextChoices):
    EVENLY = "evenly", _("Evenly")
    COUNTS = "counts", _("By chosen counts")
