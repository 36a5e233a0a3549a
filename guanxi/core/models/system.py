"""System records: notifications, background jobs and API tokens."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.choices import JobStatus, NotificationCategory


class Notification(models.Model):
    """Tell one user about something in the app (the bell, PLT-11)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=NotificationCategory.choices,
        default=NotificationCategory.SYSTEM,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell's unread count and the unread filter.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="core_notif_idx"),
            # The notification centre, newest first, whole or by category.
            models.Index(fields=["recipient", "-created_at", "-id"], name="core_notif_recent_idx"),
            models.Index(
                fields=["recipient", "category", "-created_at", "-id"], name="core_notif_cat_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title


# In-app and email defaults of each category: reminders reach the inbox too, the rest
# stays in the bell until a user asks for more.
DEFAULT_CHANNELS: dict[str, dict[str, bool]] = {
    category: {"in_app": True, "email": category == NotificationCategory.REMINDER}
    for category in NotificationCategory.values
}


class NotificationPreference(models.Model):
    """Keep how one user wants to be told: per category in the app and by email, and the digest.

    A user without a row has the defaults (`DEFAULT_CHANNELS`, no digest). `channels` maps
    a category to `{"in_app": bool, "email": bool}`; a missing category has its default.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    channels = models.JSONField(_("channels"), default=dict, blank=True)
    digest_enabled = models.BooleanField(_("daily digest email"), default=False)
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"), default=8, validators=[MaxValueValidator(23)]
    )
    digest_last_sent_on = models.DateField(_("digest last sent on"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")
        indexes = [
            models.Index(fields=["digest_enabled", "digest_hour"], name="core_notifpref_digest_idx")
        ]

    def __str__(self) -> str:
        return str(self.user)

    def channel(self, category: str) -> dict[str, bool]:
        """Return `{"in_app": …, "email": …}` for a category, defaults filled in."""
        chosen = (self.channels or {}).get(category) or {}
        default = DEFAULT_CHANNELS.get(category, DEFAULT_CHANNELS[NotificationCategory.SYSTEM])
        return {key: bool(chosen.get(key, value)) for key, value in default.items()}


class Job(models.Model):
    """Track a long background job so the UI can show its progress bar."""

    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    message = models.TextField(_("message"), blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))


class ApiToken(models.Model):
    """Let a program act as a user through the REST API; only a hash of the key is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
