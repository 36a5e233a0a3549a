"""Tags (标签) and groups (分组): labels and static lists that any entity's records can join.

Records are referred to by entity name and id, as shares and history are, so one pair of
tables serves accounts, contacts and whatever entity joins later.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.choices import TagColor
from guanxi.core.models.base import OwnedModel


class Tag(models.Model):
    """Name a label, with a colour, that users put on records (e.g. VIP, 重点客户)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(
        _("colour"), max_length=10, choices=TagColor.choices, default=TagColor.BLUE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tagging(models.Model):
    """Put one tag on one record."""

    tag = models.ForeignKey(
        Tag, verbose_name=_("tag"), on_delete=models.CASCADE, related_name="taggings"
    )
    entity = models.CharField(_("entity"), max_length=50)
    object_id = models.BigIntegerField(_("record"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tagging")
        verbose_name_plural = _("taggings")
        constraints = [
            # Also the index of "records with this tag": entity, tag, then the ids.
            models.UniqueConstraint(
                fields=["entity", "tag", "object_id"], name="core_tagging_unique"
            )
        ]
        indexes = [models.Index(fields=["entity", "object_id"], name="core_tagging_object_idx")]

    def __str__(self) -> str:
        return f"{self.entity}#{self.object_id} · {self.tag_id}"


class Group(OwnedModel):
    """Hold a static list (分组) of records of one entity, e.g. "2026 trade-fair visitors"."""

    name = models.CharField(_("name"), max_length=100)
    entity = models.CharField(_("record type"), max_length=50)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["entity", "name"], name="core_group_entity_idx"),
            models.Index(fields=["owner", "-updated_at"], name="core_group_owner_idx"),
            models.Index(fields=["-updated_at"], name="core_group_updated_idx"),
            models.Index(fields=["name"], name="core_group_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """Put one record in one group."""

    group = models.ForeignKey(
        Group, verbose_name=_("group"), on_delete=models.CASCADE, related_name="members"
    )
    object_id = models.BigIntegerField(_("record"))
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [
            models.UniqueConstraint(fields=["group", "object_id"], name="core_groupmember_unique")
        ]
        indexes = [models.Index(fields=["object_id", "group"], name="core_groupmember_object_idx")]

    def __str__(self) -> str:
        return f"{self.group_id} · {self.object_id}"
