"""Duplicate detection and merge records: blocking keys, profiles, rules, clusters, merges."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DuplicateKey(models.Model):
    """Hold one blocking key of one record: records sharing a key are compared (CUS-5)."""

    entity = models.CharField(max_length=50)
    key = models.CharField(max_length=100)
    object_id = models.BigIntegerField()

    class Meta:
        indexes = [
            # Key first: the create-time check is "who else has these keys"; the finder
            # reads the index in key order so each block of equal keys is contiguous.
            models.Index(fields=["entity", "key", "object_id"], name="core_dupkey_key_idx"),
            models.Index(fields=["entity", "object_id"], name="core_dupkey_object_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class DuplicateProfile(models.Model):
    """Hold a record's normalised compared values, so scoring never recomputes pinyin."""

    entity = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    values = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "object_id"], name="core_duplicateprofile_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity}#{self.object_id}"


class DuplicateRule(models.Model):
    """Hold an administrator's changes to an entity's duplicate rules: weights and threshold."""

    entity = models.CharField(_("entity"), max_length=50, unique=True)
    threshold = models.FloatField(_("threshold"))
    weights = models.JSONField(_("weights"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("duplicate rule")
        verbose_name_plural = _("duplicate rules")

    def __str__(self) -> str:
        return self.entity


class DuplicateCluster(models.Model):
    """Hold one group of records the duplicate finder thinks are the same."""

    entity = models.CharField(_("entity"), max_length=50)
    member_ids = models.JSONField(_("records"), default=list)
    size = models.PositiveIntegerField(_("size"))
    score = models.FloatField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    job = models.ForeignKey(
        "core.Job", verbose_name=_("job"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("duplicate group")
        verbose_name_plural = _("duplicate groups")
        ordering = ["-score", "id"]
        indexes = [models.Index(fields=["entity", "-score", "id"], name="core_dupcluster_idx")]

    def __str__(self) -> str:
        return f"{self.entity} {self.member_ids}"


class MergeRecord(models.Model):
    """Record one merge: who, when, the survivor, every merged record's data, what moved."""

    entity = models.CharField(_("entity"), max_length=50)
    survivor_id = models.BigIntegerField(_("surviving record"))
    survivor_repr = models.CharField(_("surviving record"), max_length=200)
    duplicate_ids = models.JSONField(_("merged records"), default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    snapshots = models.JSONField(_("records before the merge"), default=dict)
    field_choices = models.JSONField(_("chosen values"), default=dict)
    moved = models.JSONField(_("moved related records"), default=dict)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["entity", "survivor_id"], name="core_merge_survivor_idx")]

    def __str__(self) -> str:
        return f"{self.entity}#{self.survivor_id}"
