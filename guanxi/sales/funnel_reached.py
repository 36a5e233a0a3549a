"""Keep `Opportunity.furthest_position`: the furthest non-lost stage a deal ever entered.

The funnel reads it instead of the stage history, so a year of a large company's deals
is one index scan. It is refreshed from the history (StageChange) and the current stage
whenever a deal changes stage (the `opportunity.stage_changed` event, after commit).
"""

from __future__ import annotations

from django.db.models import IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from guanxi.core import events


def furthest_expression():
    """Return the furthest position computed from a deal's history and current stage."""
    from guanxi.sales.models import Stage, StageChange

    history = (
        StageChange.objects.filter(opportunity=OuterRef("pk"), to_stage__is_lost=False)
        .order_by()
        .values("opportunity")
        .annotate(top=Max("to_stage__position"))
        .values("top")
    )
    current = Stage.objects.filter(pk=OuterRef("stage_id"), is_lost=False).values("position")
    return Greatest(
        Coalesce(Subquery(history, output_field=IntegerField()), Value(0)),
        Coalesce(Subquery(current, output_field=IntegerField()), Value(0)),
    )


def furthest_refresh(opportunity_ids) -> int:
    """Recompute the furthest stage reached of some deals; return how many were updated."""
    from guanxi.sales.models import Opportunity

    return Opportunity.objects.filter(pk__in=list(opportunity_ids)).update(
        furthest_position=furthest_expression()
    )


def _on_stage_changed(event) -> None:
    if event.payload.get("id"):
        furthest_refresh([event.payload["id"]])


events.subscribe("opportunity.stage_changed", _on_stage_changed)
