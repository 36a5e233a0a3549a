"""Running totals behind the funnel's "average days in stage" (funnel_times.py)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FunnelStageTime(models.Model):
    """Hold how long one owner's deals of a pipeline created in one month spent in a stage.

    One row per pipeline × stage left × month of the deals' creation (site time zone) ×
    owner: the seconds summed over every move out of the stage and the number of those
    moves. It is kept in the same transaction as each stage change (and a change of owner
    or pipeline), so the funnel of a period made of whole months adds up a few thousand
    rows instead of reading every deal's stage history.
    """

    pipeline = models.ForeignKey(
        "sales.Pipeline", verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey(
        "sales.Stage", verbose_name=_("stage left"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month the deals were created"))
    # The deals' owner (User id), 0 for deals without one: a plain number, so that it can
    # be part of the unique key the running totals are upserted on.
    owner_key = models.IntegerField(_("owner"), default=0)
    seconds = models.BigIntegerField(_("time in the stage (s)"), default=0)
    moves = models.IntegerField(_("moves out of the stage"), default=0)

    class Meta:
        verbose_name = _("funnel time in stage")
        verbose_name_plural = _("funnel times in stage")
        constraints = [
            # Also the index the funnel reads: a pipeline's months in a period.
            models.UniqueConstraint(
                fields=["pipeline", "month", "stage", "owner_key"],
                name="funnel_stage_time_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pipeline_id}/{self.stage_id}/{self.month:%Y-%m}/{self.owner_key}"
