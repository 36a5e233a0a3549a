"""Timers (计时器): "at this moment, call this handler for this record", fired once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimerStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    FIRING = "firing", _("Firing")
    FIRED = "fired", _("Fired")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class Timer(models.Model):
    """Call a registered handler once when it is due; its key replaces or cancels it."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    entity = models.CharField(_("entity"), max_length=50, blank=True)
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)
    handler = models.CharField(_("handler"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=20, choices=TimerStatus.choices, default=TimerStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        indexes = [models.Index(fields=["status", "due_at"], name="timer_due_idx")]

    def __str__(self) -> str:
        return self.key


__all__ = ["Timer", "TimerStatus"]
