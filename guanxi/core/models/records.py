"""Records the platform keeps about entities: shares, change history, search tokens."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.choices import AuditAction, ShareAccess


class Share(models.Model):
    """Widen who may see or edit one record beyond its owner's scope (共享)."""

    entity = models.CharField(_("entity"), max_length=50)
    object_id = models.BigIntegerField(_("record"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shares",
    )
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shares",
    )
    access = models.CharField(
        _("access"), max_length=10, choices=ShareAccess.choices, default=ShareAccess.READ
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        indexes = [
            models.Index(fields=["entity", "user", "object_id"], name="core_share_user_idx"),
            models.Index(fields=["entity", "team", "object_id"], name="core_share_team_idx"),
            models.Index(fields=["entity", "object_id"], name="core_share_object_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(team__isnull=False),
                name="core_share_has_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity}#{self.object_id} → {self.user or self.team} ({self.access})"


class AuditEntry(models.Model):
    """Record one change to one record: who, when, and each field's before → after (PLT-4)."""

    entity = models.CharField(_("entity"), max_length=50)
    object_id = models.BigIntegerField(_("record"))
    object_repr = models.CharField(_("record name"), max_length=200)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    changes = models.JSONField(_("changes"), default=dict)
    batch = models.CharField(_("batch"), max_length=32, blank=True)
    # Name of the automatic rule that made the change, when no user did.
    rule = models.CharField(_("rule"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("change history entry")
        verbose_name_plural = _("change history")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["entity", "object_id", "-at"], name="core_audit_object_idx"),
            models.Index(fields=["actor", "-at"], name="core_audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class SearchToken(models.Model):
    """Hold one normalised search key of one record; global search is a prefix match on these."""

    entity = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    token = models.CharField(max_length=100)

    class Meta:
        indexes = [
            # Entity first, then the key: a prefix search reads one contiguous range, and
            # object_id in the index answers it without touching the table.
            # varchar_pattern_ops makes LIKE 'x%' use the index on PostgreSQL under any
            # collation; SQLite ignores opclasses and is searched by range instead.
            models.Index(
                fields=["entity", "token", "object_id"],
                name="core_searchtoken_key_idx",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "int8_ops"],
            ),
            models.Index(fields=["entity", "object_id"], name="core_searchtoken_object_idx"),
        ]

    def __str__(self) -> str:
        return self.token
