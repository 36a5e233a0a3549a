"""Automation rules (自动化规则) and their runs, as the engine and the monitor read them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models.base import BaseModel


class TriggerKind(models.TextChoices):
    CREATED = "created", _("A record is created")
    UPDATED = "updated", _("A record is updated")
    FIELD_CHANGED = "field_changed", _("A field changes")
    STAGE_ENTERED = "stage_entered", _("A deal enters a stage")
    DATE_REACHED = "date_reached", _("A date is reached")
    NO_ACTIVITY = "no_activity", _("No activity for some days")
    SCHEDULED = "scheduled", _("At a scheduled time")
    STILL_MATCHING = "still_matching", _("Still matching after business hours")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    RETRYING = "retrying", _("Waiting to retry")
    FAILED = "failed", _("Failed")


class AutomationRule(BaseModel):
    """Do actions on an entity's records when a trigger fires and the conditions hold."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    entity = models.CharField(_("entity"), max_length=50)
    trigger = models.CharField(_("trigger"), max_length=30, choices=TriggerKind.choices)
    trigger_params = models.JSONField(_("trigger settings"), default=dict, blank=True)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    # [{"type": action key, "params": {...}}, ...] run in this order.
    actions = models.JSONField(_("actions"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Skipped runs are counted; rows for them only while someone looks into a rule (a rule
    # listening to every save would otherwise add a row per save).
    log_skipped = models.BooleanField(
        _("record skipped runs"),
        default=False,
        help_text=_(
            "Keep a run for every record the conditions did not hold for, to see why the "
            "rule did not act. Skipped runs are always counted."
        ),
    )
    order = models.PositiveIntegerField(_("order"), default=100)
    # The user the actions act as.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run as"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # The last slot a scheduled rule ran for, so a slot runs once.
    scheduled_through = models.DateTimeField(null=True, blank=True, editable=False)
    # Counters the monitor shows without counting the runs table.
    done_count = models.PositiveIntegerField(default=0, editable=False)
    skipped_count = models.PositiveIntegerField(default=0, editable=False)
    failed_count = models.PositiveIntegerField(default=0, editable=False)
    duration_total_ms = models.BigIntegerField(default=0, editable=False)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["entity", "order", "id"]
        indexes = [
            models.Index(
                fields=["is_active", "entity", "trigger"], name="automation_rule_active_idx"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def average_ms(self) -> int | None:
        finished = self.done_count + self.failed_count
        return round(self.duration_total_ms / finished) if finished else None


class AutomationRun(models.Model):
    """Record one rule's run on one record: outcome, each action's result, retries."""

    rule = models.ForeignKey(
        AutomationRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="runs"
    )
    entity = models.CharField(_("entity"), max_length=50)
    record_id = models.BigIntegerField(_("record"))
    # What caused the run (the event's id, "date:<date>", "schedule:<slot>" …): a cause
    # runs a rule on a record once.
    dedupe_key = models.CharField(max_length=120)
    trigger = models.CharField(_("trigger"), max_length=30, choices=TriggerKind.choices)
    event = models.JSONField(_("event"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    chain = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    # [{"type", "status": done|failed|pending, "result", "error"}] per action, in order.
    results = models.JSONField(_("action results"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("automation run")
        verbose_name_plural = _("automation runs")
        constraints = [
            models.UniqueConstraint(fields=["rule", "dedupe_key"], name="automation_run_once")
        ]
        indexes = [
            models.Index(fields=["rule", "status", "-id"], name="automation_run_rule_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="automation_run_due_idx"),
            models.Index(fields=["-created_at"], name="automation_run_created_idx"),
            models.Index(fields=["entity", "record_id"], name="automation_run_record_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} · {self.entity} #{self.record_id}"


__all__ = ["AutomationRule", "AutomationRun", "RunStatus", "TriggerKind"]
