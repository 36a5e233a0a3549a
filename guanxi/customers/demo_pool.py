"""Demo data of the public pool (公海): a pool with its rule, customers in it, and history.

Called by `guanxi demo` once the demo customers exist. Every owned customer gets the
ownership period it was created with and a recent follow-up, so the nightly rule returns
nothing at once but warns about a few; some customers changed hands through the pool.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from guanxi.core.models import Role, User
from guanxi.customers.choices import OwnershipEnd, OwnershipStart
from guanxi.customers.models import Account, OwnershipPeriod, Pool

POOL_SIZE = 20
ROLE_CAPS = {"销售代表": 60, "销售总监": 200}
POOL_ROLES = ("销售代表", "销售总监")
RELEASE_REASONS = (
    "客户暂无采购计划",
    "联系人离职，需重新开发",
    "预算冻结，明年再跟",
    "Customer chose a competitor this year",
    "No reply after several calls",
)


@dataclass
class DemoPool:
    pool: Pool
    in_pool: int
    periods: int


def create_demo_pool(
    *, rng: random.Random, accounts: list[Account], users: dict[str, User], now: datetime.datetime
) -> DemoPool:
    """Create the public pool, move some customers into it and write who held what when."""
    admin = users["wangjianguo"]
    pool = Pool.objects.create(
        name="公海",
        description="公司公共客户池：30 天未跟进的客户自动退回，退回前 3 天提醒负责人。\n"
        "Company public pool: customers without a follow-up for 30 days come back here; "
        "owners are warned 3 days before.",
        days_without_follow_up=30,
        warning_days=3,
        is_default=True,
        created_by=admin,
        updated_by=admin,
    )
    pool.roles.set(Role.objects.filter(name__in=POOL_ROLES))
    for name, cap in ROLE_CAPS.items():
        Role.objects.filter(name=name).update(max_accounts=cap)
    candidates = [a for a in accounts if not a.custom.get("key_account")]
    pooled = set(a.pk for a in rng.sample(candidates, min(POOL_SIZE, len(candidates))))
    reps = [u for u in users.values() if u.roles.filter(name="销售代表").exists()]
    periods: list[OwnershipPeriod] = []
    for account in accounts:
        if account.pk in pooled:
            periods.extend(_pool_history(rng, account, reps, pool, now))
        else:
            periods.extend(_owned_history(rng, account, reps, pool, now))
    Account.objects.bulk_update(
        accounts,
        ["owner", "pool", "pooled_at", "owned_at", "last_followed_up_at"],
        batch_size=500,
    )
    OwnershipPeriod.objects.bulk_create(periods, batch_size=500)
    return DemoPool(pool=pool, in_pool=len(pooled), periods=len(periods))


def _between(rng: random.Random, start: datetime.datetime, end: datetime.datetime):
    seconds = max(int((end - start).total_seconds()), 1)
    return start + datetime.timedelta(seconds=rng.randrange(seconds))


def _pool_history(rng, account: Account, reps, pool: Pool, now) -> list[OwnershipPeriod]:
    """Let the creator hold the customer, then release it, or lose it to the rule."""
    owner = account.owner
    ended = _between(rng, account.created_at, now - datetime.timedelta(days=1))
    returned = rng.random() < 0.4
    period = OwnershipPeriod(
        account=account,
        owner=owner,
        started_at=account.created_at,
        ended_at=ended,
        start=OwnershipStart.CREATED,
        end=OwnershipEnd.RETURNED if returned else OwnershipEnd.RELEASED,
        started_by=owner,
        ended_by=None if returned else owner,
        pool=None,
        reason="连续30天未跟进" if returned else rng.choice(RELEASE_REASONS),
    )
    account.owner, account.pool, account.pooled_at = None, pool, ended
    account.owned_at = None
    account.last_followed_up_at = ended - datetime.timedelta(days=rng.randrange(30, 60))
    return [period]


def _owned_history(rng, account: Account, reps, pool: Pool, now) -> list[OwnershipPeriod]:
    """Give the owned customer its creation period; one in ten was claimed from the pool."""
    periods = []
    owner = account.owner
    account.owned_at = account.created_at
    if rng.random() < 0.1 and (now - account.created_at).days > 20:
        first = rng.choice([rep for rep in reps if rep.pk != owner.pk] or reps)
        released = _between(rng, account.created_at, now - datetime.timedelta(days=10))
        claimed = _between(rng, released, now - datetime.timedelta(days=5))
        periods.append(
            OwnershipPeriod(
                account=account,
                owner=first,
                started_at=account.created_at,
                ended_at=released,
                start=OwnershipStart.CREATED,
                end=OwnershipEnd.RELEASED,
                started_by=first,
                ended_by=first,
                reason=rng.choice(RELEASE_REASONS),
            )
        )
        periods.append(
            OwnershipPeriod(
                account=account,
                owner=owner,
                started_at=claimed,
                start=OwnershipStart.CLAIMED,
                started_by=owner,
                pool=pool,
            )
        )
        account.owned_at = claimed
    else:
        periods.append(
            OwnershipPeriod(
                account=account,
                owner=owner,
                started_at=account.created_at,
                start=OwnershipStart.CREATED,
                started_by=owner,
            )
        )
    # Most were followed up lately; a few are close to going back, so warnings show.
    days = rng.choice((1, 2, 3, 5, 8, 12, 15, 20, 25, 28))
    account.last_followed_up_at = max(now - datetime.timedelta(days=days), account.owned_at)
    return periods
