"""Helpers of the funnel and forecast tests: deals with a given history, dates, people."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

from guanxi.sales import funnel_times
from guanxi.sales.funnel_reached import furthest_refresh
from guanxi.sales.models import Opportunity, StageChange
from guanxi.sales.tests.factories import OpportunityFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = 86400


def moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def deal(owner, pipeline, stage: int | str, amount, *, history=(), created="2026-03-01", **fields):
    """Create a deal now at a stage (position or "won"/"lost"), moved through `history`.

    `history` lists (from position, to position or "won"/"lost", days spent in from).
    """
    stages = {stage.position: stage for stage in pipeline.stages.all()}
    named = {"won": next(s for s in stages.values() if s.is_won)}
    named["lost"] = next(s for s in stages.values() if s.is_lost)

    def find(value):
        return named[value] if isinstance(value, str) else stages[value]

    current = find(stage)
    opportunity = OpportunityFactory(
        owner=owner,
        account__owner=owner,
        pipeline=pipeline,
        stage=current,
        probability=fields.pop("probability", current.probability),
        amount=Decimal(str(amount)),
        **fields,
    )
    Opportunity.objects.filter(pk=opportunity.pk).update(created_at=moment(f"{created}T10:00"))
    for from_position, to_position, days in history:
        StageChange.objects.create(
            opportunity=opportunity,
            from_stage=find(from_position),
            to_stage=find(to_position),
            seconds_in_previous=int(days * DAY),
            amount=opportunity.amount,
        )
    furthest_refresh([opportunity.pk])  # what a stage change's event does after commit
    funnel_times.count_history([opportunity.pk])  # what the stage change services add
    return opportunity
