"""Demo data of the loyalty programme and classification, used by `guanxi demo`.

Membership levels 普通会员 → 钻石会员, two earning rules, classification rules, the
classification fields of every demo account, and points ledgers on about a third of the
customers (earned by paid orders, redeemed for gifts, corrected, some expired).
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from guanxi.customers import classification, points
from guanxi.customers.choices import (
    AccountKind,
    AccountType,
    LifecycleStage,
    Loyalty,
    Relationship,
    ValueClass,
)
from guanxi.customers.models import Account, ClassificationRule, EarningRule, MembershipLevel

LEVELS = (
    ("普通会员", "Member", 0, "secondary", "积分兑换礼品", False),
    ("银卡会员", "Silver", 1000, "azure", "生日礼遇；积分兑换九五折", False),
    ("金卡会员", "Gold", 5000, "yellow", "专属客户经理；免费上门安装；积分兑换九折", False),
    ("钻石会员", "Diamond", 20000, "purple", "优先服务通道；年度客户答谢会；可先兑后积", True),
)
EARNING_RULES = (
    ("订单付款积分（每元 1 分）", "order.paid", 0, 1, 365),
    ("满意度调查奖励", "survey.completed", 50, 0, None),
)
CLASSIFICATION_RULES = (
    (
        "年营业额千万以上为贵宾型",
        "grade",
        "vip",
        10,
        [{"metric": "annual_revenue", "operator": "gte", "value": "10000000"}],
    ),
    (
        "渠道伙伴",
        "relationship",
        "channel",
        10,
        [{"metric": "account_type", "operator": "in", "value": "partner,reseller"}],
    ),
    (
        "金卡以上为忠诚客户",
        "loyalty",
        "loyal",
        10,
        [{"metric": "points_lifetime", "operator": "gte", "value": "5000"}],
    ),
)
CUSTOMER_STAGES = (
    LifecycleStage.FIRST_PURCHASE,
    LifecycleStage.REPEAT,
    LifecycleStage.REPEAT,
    LifecycleStage.LOYAL,
    LifecycleStage.DORMANT,
    LifecycleStage.LOST,
)
GIFTS = ("兑换保温杯", "兑换购物卡 200 元", "兑换年度维保服务", "抵扣订单金额", "兑换定制礼盒")


def ensure_programme() -> None:
    """Create the demo levels and rules once; an install's own settings are kept."""
    for name, name_en, threshold, colour, benefits, credit in LEVELS:
        if not MembershipLevel.objects.filter(threshold=threshold).exists():
            MembershipLevel.objects.get_or_create(
                name=name,
                defaults={
                    "name_en": name_en,
                    "threshold": threshold,
                    "colour": colour,
                    "benefits": benefits,
                    "allow_negative": credit,
                },
            )
    for name, event, fixed, per_unit, days in EARNING_RULES:
        EarningRule.objects.get_or_create(
            name=name,
            defaults={
                "event": event,
                "points_fixed": fixed,
                "points_per_unit": per_unit,
                "valid_days": days,
            },
        )
    for name, field, value, priority, conditions in CLASSIFICATION_RULES:
        ClassificationRule.objects.get_or_create(
            name=name,
            defaults={
                "field": field,
                "value": value,
                "priority": priority,
                "conditions": conditions,
            },
        )
    points.earning_rules_changed()


def classify_by_hand(rng: random.Random, accounts: list[Account]) -> None:
    """Fill the classification fields the way a sales team would have set them."""
    for account in accounts:
        account.relationship = _relationship(account)
        if account.account_type == AccountType.CUSTOMER:
            account.lifecycle_stage = rng.choice(CUSTOMER_STAGES)
            account.loyalty = rng.choice(
                [Loyalty.LOYAL, Loyalty.RETURNING, Loyalty.RETURNING, Loyalty.NEW]
            )
            account.value_class = rng.choice([*ValueClass.values, ValueClass.RATIONAL])
        elif account.account_type == AccountType.PROSPECT:
            account.lifecycle_stage = rng.choice([LifecycleStage.SUSPECT, LifecycleStage.PROSPECT])
            account.loyalty = Loyalty.POTENTIAL
    Account.objects.bulk_update(
        accounts,
        ["relationship", "loyalty", "value_class", "lifecycle_stage"],
        batch_size=500,
    )


def _relationship(account: Account) -> str:
    if account.account_type in (AccountType.PARTNER, AccountType.RESELLER):
        return Relationship.CHANNEL
    if account.account_type == AccountType.COMPETITOR:
        return ""
    if account.kind == AccountKind.INDIVIDUAL:
        return Relationship.CONSUMER
    return Relationship.BUSINESS


def make_ledgers(rng: random.Random, accounts: list[Account], now: datetime.datetime) -> int:
    """Give about a third of the customers a points history; return the entries written."""
    customers = [a for a in accounts if a.account_type == AccountType.CUSTOMER]
    members = rng.sample(customers, k=len(customers) // 3) if customers else []
    written = 0
    for number, account in enumerate(members):
        written += _ledger(rng, account, now, number)
    return written + points.points_expire_due(at=now)


def _ledger(rng: random.Random, account: Account, now: datetime.datetime, number: int) -> int:
    writes = 0
    day = rng.randint(200, 500)
    for order in range(rng.randint(1, 6)):
        amount = rng.choice((880, 1500, 3200, 6800, 12000, 26000))
        when = now - datetime.timedelta(days=day)
        entry = points.points_earn(
            actor=None,
            account=account,
            points=amount,
            reason="订单付款积分（每元 1 分）",
            source="order.paid",
            source_ref=f"SO{when:%Y%m%d}{number:03d}{order}",
            expires_at=when + datetime.timedelta(days=365),
        )
        _backdate(entry, when)
        writes += 1
        day -= rng.randint(20, 90)
        if day < 5:
            break
    account.refresh_from_db()
    if account.points_balance > 500 and rng.random() < 0.6:
        spend = rng.randint(1, account.points_balance // 200) * 100
        entry = points.points_redeem(
            actor=None, account=account, points=spend, reason=rng.choice(GIFTS)
        )
        _backdate(entry, now - datetime.timedelta(days=max(day, 1)))
        writes += 1
    if rng.random() < 0.15:
        entry = points.points_adjust(
            actor=None, account=account, points=200, reason="客服补偿：延迟发货"
        )
        writes += 1
    return writes


def _backdate(entry, when: datetime.datetime) -> None:
    type(entry).objects.filter(pk=entry.pk).update(created_at=when)


def create(rng: random.Random, accounts: list[Account]) -> dict:
    """Create the loyalty demo for freshly made demo accounts; return what was made."""
    now = timezone.now()
    ensure_programme()
    classify_by_hand(rng, accounts)
    entries = make_ledgers(rng, accounts, now)
    changed = classification.classify_accounts(ids=[account.pk for account in accounts])
    return {"points_entries": entries, "classified": changed}
