"""Choices shared across the platform."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Action(models.TextChoices):
    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    ASSIGN = "assign", _("Assign")
    SAVE_DUPLICATE = "save_duplicate", _("Save duplicates")


class Scope(models.TextChoices):
    """Data scope (数据权限), from narrowest to widest."""

    OWN = "own", pgettext_lazy("data scope", "Own")
    DEPARTMENT = "department", pgettext_lazy("data scope", "Department")
    DEPARTMENT_TREE = "department_tree", pgettext_lazy("data scope", "Department and below")
    ALL = "all", _("All")


SCOPE_RANK = {Scope.OWN: 1, Scope.DEPARTMENT: 2, Scope.DEPARTMENT_TREE: 3, Scope.ALL: 4}


class ShareAccess(models.TextChoices):
    READ = "read", _("Read")
    EDIT = "edit", _("Edit")


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    SHARE = "share", _("Shared")
    ASSIGN = "assign", _("Assigned")
    MERGE = "merge", _("Merged")
    ERASE = "erase", _("Erased")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DECIMAL = "decimal", _("Decimal")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    BOOLEAN = "boolean", _("Yes/No")
    USER = "user", _("User")
    URL = "url", _("URL")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class TagColor(models.TextChoices):
    BLUE = "blue", _("Blue")
    GREEN = "green", _("Green")
    RED = "red", _("Red")
    ORANGE = "orange", _("Orange")
    YELLOW = "yellow", _("Yellow")
    PURPLE = "purple", _("Purple")
    PINK = "pink", _("Pink")
    CYAN = "cyan", _("Cyan")
    GRAY = "secondary", _("Grey")


class NotificationCategory(models.TextChoices):
    """What a notification is about; each user chooses per category how to be told."""

    REMINDER = "reminder", _("Reminders")
    ASSIGNMENT = "assignment", _("Assignments and transfers")
    SHARE = "share", _("Shares and mentions")
    JOB = "job", _("Finished background jobs")
    POOL = "pool", _("Public pool warnings")
    SYSTEM = "system", _("System messages")
