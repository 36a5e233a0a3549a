"""Pipelines (销售流程) and their ordered stages (阶段)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BaseModel


class BilingualName(models.Model):
    """Give a configured thing a Chinese and an English name, shown in the user's language."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or "zh-hans").lower()
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh or self.name_en


class Pipeline(BilingualName, BaseModel):
    """Hold one way of selling (new business, renewals, projects) as ordered stages."""

    is_default = models.BooleanField(_("default pipeline"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]


class Stage(BilingualName):
    """Hold one step of a pipeline: its default probability, outcome and entry rules."""

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)
    # Opportunity fields that must be filled before a deal may enter this stage.
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    rotting_days = models.PositiveSmallIntegerField(
        _("rotting after (days)"),
        null=True,
        blank=True,
        help_text=_("A deal this many days in the stage without moving is highlighted."),
    )
    # A removed stage that deals passed through stays for their history, hidden elsewhere.
    is_archived = models.BooleanField(_("archived"), default=False, editable=False)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        indexes = [models.Index(fields=["pipeline", "position"], name="stage_pipeline_idx")]

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost
