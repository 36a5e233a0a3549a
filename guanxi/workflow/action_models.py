"""Models of the automation actions: where round-robin assignment left off."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentPointer(models.Model):
    """Remember who got the last record of a round-robin assignment, by rule and action.

    Lead assignment rules keep their own pointer on the rule (`last_assigned`); automation
    rules keep theirs here, one row per rule (and team), locked while the next is chosen.
    """

    key = models.CharField(_("key"), max_length=100, unique=True)
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last assigned"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("round-robin position")
        verbose_name_plural = _("round-robin positions")

    def __str__(self) -> str:
        return self.key


__all__ = ["AssignmentPointer"]
