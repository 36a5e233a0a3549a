"""Demo opportunities: the default pipeline and ~60 deals of the demo reps with histories.

Deals spread over the stages like a real funnel (many early, few late), some won and
lost with reasons; each walked its stages with believable days in each, so the board, the
stage history and the customer timelines have something to show.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from guanxi.core import audit, search
from guanxi.core.choices import AuditAction
from guanxi.core.models import AuditEntry
from guanxi.core.services import sequence_next
from guanxi.customers.choices import AccountType, ContactRole, Source
from guanxi.sales import funnel_times
from guanxi.sales.choices import CloseReason, ForecastCategory
from guanxi.sales.funnel_reached import furthest_refresh
from guanxi.sales.models import (
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    StageChange,
)
from guanxi.sales.pipeline_services import pipeline_default

DEAL_NAMES = [
    ("ERP 二期项目", "ERP"),
    ("仓储管理系统升级", "WMS"),
    ("Warehouse scanners roll-out", "Scanner X3"),
    ("年度维保续约", "维保服务"),
    ("MES 生产执行系统", "MES"),
    ("Cloud CRM seats", "CRM seat"),
    ("智能门店改造", "门店终端"),
    ("数据中台建设", "数据中台"),
    ("Fleet telematics pilot", "Telematics unit"),
    ("财务共享中心", "财务软件"),
]
# Relative number of deals sitting in each stage, by position; won and lost last.
STAGE_WEIGHTS = (16, 12, 10, 7, 9, 6)
WON_REASONS = [CloseReason.RELATIONSHIP, CloseReason.PRODUCT_FIT, CloseReason.SERVICE]
LOST_REASONS = [CloseReason.PRICE, CloseReason.COMPETITOR, CloseReason.BUDGET, CloseReason.TIMING]
NEXT_STEPS = ["安排技术交流", "Send the revised quote", "约采购经理面谈", "Book the site survey"]


def create(rng: random.Random, *, accounts, contacts, users, now) -> dict:
    """Create the demo deals; return counts for the demo report."""
    pipeline = pipeline_default()
    stages = list(pipeline.stages.filter(is_archived=False).order_by("position"))
    owned = [
        account
        for account in accounts
        if account.owner_id and account.account_type in (AccountType.CUSTOMER, AccountType.PROSPECT)
    ]
    if not owned:
        return {"opportunities": 0}
    competitors = [a for a in accounts if a.account_type == AccountType.COMPETITOR]
    partners = [
        a for a in accounts if a.account_type in (AccountType.PARTNER, AccountType.RESELLER)
    ]
    contacts_by_account: dict[int, list] = {}
    for contact in contacts:
        contacts_by_account.setdefault(contact.account_id, []).append(contact)
    created = 0
    for index in range(60):
        stage = rng.choices(stages, weights=STAGE_WEIGHTS[: len(stages)])[0]
        account = owned[rng.randrange(len(owned))]
        deal = _deal(rng, index, pipeline, stages, stage, account, partners, now)
        _extras(rng, deal, contacts_by_account.get(account.pk, []), competitors)
        created += 1
    return {"opportunities": created}


def _deal(rng, index, pipeline, stages, stage, account, partners, now) -> Opportunity:
    name, product = DEAL_NAMES[index % len(DEAL_NAMES)]
    amount = Decimal(rng.randrange(20, 900) * 1000)
    created_at = now - datetime.timedelta(days=rng.randint(20, 160), hours=rng.randint(0, 9))
    deal = Opportunity.objects.create(
        number=sequence_next(key="O", prefix="O"),
        name=f"{account.name[:12]} · {name}",
        account=account,
        pipeline=pipeline,
        stage=stages[0],
        amount=amount,
        probability=stages[0].probability,
        forecast_category=rng.choice(list(ForecastCategory.values)),
        expected_close=timezone.localdate(now) + datetime.timedelta(days=rng.randint(-20, 120)),
        source=rng.choice([Source.WEBSITE, Source.REFERRAL, Source.EXHIBITION, Source.COLD_CALL]),
        next_step=rng.choice(NEXT_STEPS),
        partner=rng.choice(partners) if partners and rng.random() < 0.2 else None,
        owner_id=account.owner_id,
        created_by_id=account.owner_id,
        updated_by_id=account.owner_id,
        stage_entered_at=created_at,
    )
    Opportunity.objects.filter(pk=deal.pk).update(created_at=created_at)
    deal.created_at = created_at  # kept by the save at the end of the walk
    deal.description = product
    _walk(rng, deal, stages, stage, created_at, now)
    audit.record(
        actor=deal.owner,
        entity="opportunity",
        instance=deal,
        action=AuditAction.CREATE,
        changes={"name": [None, deal.name], "amount": [None, str(deal.amount)]},
    )
    search.index_record("opportunity", deal)
    return deal


def _walk(rng, deal, stages, target, created_at, now) -> None:
    """Record the stages the deal went through on its way to `target`, with durations."""
    path = [stage for stage in stages if not stage.is_closed and stage.position <= target.position]
    if target.is_closed:
        open_stages = [stage for stage in stages if not stage.is_closed]
        path = [*open_stages[: rng.randint(1, 4)], target]
    moments = sorted(created_at + (now - created_at) * rng.uniform(0.05, 0.95) for _ in path[1:])
    at, previous = created_at, None
    rows = []
    for stage, moment in zip(path, [created_at, *moments], strict=True):
        seconds = int((moment - at).total_seconds()) if previous else 0
        rows.append(
            StageChange(
                opportunity=deal,
                from_stage=previous,
                to_stage=stage,
                changed_at=moment,
                changed_by_id=deal.owner_id,
                seconds_in_previous=seconds,
                amount=deal.amount,
            )
        )
        at, previous = moment, stage
    StageChange.objects.bulk_create(rows)
    deal.stage = target
    deal.stage_entered_at = at
    deal.probability = 100 if target.is_won else target.probability
    if target.is_closed:
        deal.closed_at = at
        deal.close_reason = rng.choice(WON_REASONS if target.is_won else LOST_REASONS)
        deal.close_note = "客户高层认可方案" if target.is_won else "对方报价低 15%"
    deal.save()
    furthest_refresh([deal.pk])  # what the services' stage changes keep for the funnel
    funnel_times.count_history([deal.pk])


def _extras(rng, deal, contacts, competitors) -> None:
    if contacts:
        for position, contact in enumerate(rng.sample(contacts, min(len(contacts), 2))):
            OpportunityContact.objects.create(
                opportunity=deal,
                contact=contact,
                role=rng.choice([ContactRole.DECISION_MAKER, ContactRole.INFLUENCER]),
                is_primary=position == 0,
            )
    quantity = rng.randint(1, 20)
    OpportunityLine.objects.create(
        opportunity=deal,
        position=1,
        product_name=deal.description or "License",
        quantity=quantity,
        unit_price=(deal.amount / quantity).quantize(Decimal("0.01")),
    )
    if competitors and rng.random() < 0.3:
        OpportunityCompetitor.objects.create(
            opportunity=deal,
            competitor=rng.choice(competitors),
            price=(deal.amount * Decimal("0.85")).quantize(Decimal("0.01")),
            strengths="价格低",
            weaknesses="实施团队小",
            is_winner=deal.stage.is_lost and deal.close_reason == CloseReason.COMPETITOR,
        )


def delete(user_ids) -> None:
    """Remove the demo users' deals (before their customers, which the deals protect)."""
    deals = Opportunity.objects.filter(owner__in=user_ids)
    ids = list(deals.values_list("pk", flat=True))
    AuditEntry.objects.filter(entity="opportunity", object_id__in=ids).delete()
    search.unindex_records("opportunity", ids)
    deals.delete()
