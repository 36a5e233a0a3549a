"""Choices of imports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ErrorMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing: import no row if one is wrong")
    SKIP_BAD_ROWS = "skip_bad_rows", _("Skip wrong rows and import the others")


class DuplicateAction(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    UPDATE = "update", _("Update the existing record")
    CREATE = "create", _("Create a new record anyway")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class RowAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
