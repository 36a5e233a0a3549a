"""The return rule of public pools, at fixed times."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from guanxi.core.models import Notification
from guanxi.core.tests.factories import UserFactory
from guanxi.customers import ownership
from guanxi.customers.models import Account, OwnershipPeriod
from guanxi.customers.pool_rules import pools_apply_rules
from guanxi.customers.tests.factories import AccountFactory
from guanxi.customers.tests.pool_helpers import PoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Read messages in English whatever an earlier test left active."""
    with translation.override("en"):
        yield


NOW = datetime.datetime(2026, 3, 1, 2, 15, tzinfo=datetime.UTC)


def days_ago(days):
    return NOW - datetime.timedelta(days=days)


@pytest.fixture
def pool():
    return PoolFactory(name="公海", days_without_follow_up=30, warning_days=3)


@pytest.fixture
def rep():
    return UserFactory(username="rep", language="zh-hans")


def owned(pool, rep, name, *, owned_days, followed_days=None, **kwargs):
    return AccountFactory(
        name=name,
        owner=rep,
        pool=pool,
        owned_at=days_ago(owned_days),
        last_followed_up_at=days_ago(followed_days) if followed_days is not None else None,
        **kwargs,
    )


def test_overdue_customers_return_and_owners_are_told(pool, rep):
    overdue = owned(pool, rep, "久未跟进", owned_days=40, followed_days=31)
    fresh = owned(pool, rep, "刚跟进", owned_days=40, followed_days=2)
    new = owned(pool, rep, "新领取", owned_days=5)
    OwnershipPeriod.objects.create(
        account=overdue, owner=rep, started_at=days_ago(40), start="claimed"
    )

    run = pools_apply_rules(now=NOW)

    assert (run.returned, run.warned) == (1, 0)
    overdue.refresh_from_db()
    assert (overdue.owner, overdue.pool, overdue.pooled_at) == (None, pool, NOW)
    period = OwnershipPeriod.objects.get(account=overdue)
    assert (period.end, period.ended_at, period.reason) == (
        "returned",
        NOW,
        "No follow-up for 30 days",
    )
    assert Account.objects.filter(owner=rep).count() == 2
    assert {fresh.pk, new.pk} == set(Account.objects.filter(owner=rep).values_list("pk", flat=True))
    assert list(Notification.objects.values_list("title", "body")) == [
        ("客户 久未跟进 已退回公海 公海", "连续30天未跟进")
    ]


def test_owners_are_warned_once_per_clock(pool, rep):
    soon = owned(pool, rep, "快到期", owned_days=60, followed_days=28)

    assert pools_apply_rules(now=NOW).warned == 1
    assert pools_apply_rules(now=NOW + datetime.timedelta(hours=24)).warned == 0
    assert list(Notification.objects.values_list("title", flat=True)) == [
        "客户 快到期 将在 2 天后退回公海 公海，请及时跟进"
    ]
    # A follow-up restarts the clock; the next window warns again.
    Account.objects.filter(pk=soon.pk).update(last_followed_up_at=NOW + datetime.timedelta(hours=1))
    assert pools_apply_rules(now=NOW + datetime.timedelta(days=28)).warned == 1
    assert pools_apply_rules(now=NOW + datetime.timedelta(days=30, hours=1)).returned == 1


def test_the_deal_rule_spares_customers_with_an_open_deal(pool, rep):
    pool.days_without_follow_up = None
    pool.days_without_deal = 90
    pool.save()
    with_deal = owned(pool, rep, "有商机", owned_days=100, followed_days=1)
    without = owned(pool, rep, "无商机", owned_days=100, followed_days=1)

    def provider(account_ids):
        return [pk for pk in account_ids if pk == with_deal.pk]

    ownership.register_open_deals(provider)
    try:
        run = pools_apply_rules(now=NOW)
    finally:
        ownership.unregister_open_deals(provider)
    assert run.returned == 1
    assert list(Account.objects.filter(owner__isnull=True).values_list("name", flat=True)) == [
        without.name
    ]
    reason = OwnershipPeriod.objects.filter(account=without).values_list("reason", flat=True)
    assert list(reason) == []  # no period was open; the history line is the audit entry


def test_the_default_pool_takes_customers_of_no_pool_in_batches(pool, rep):
    pool.is_default = True
    pool.save()
    for index in range(7):
        owned(None, rep, f"散客{index}", owned_days=31 + index)
    other = PoolFactory(name="别的公海")  # no rule: nothing happens to its customers
    owned(other, rep, "别的", owned_days=400)

    run = pools_apply_rules(now=NOW, batch_size=3)

    assert run.returned == 7
    assert Account.objects.filter(pool=pool, owner__isnull=True).count() == 7
    assert Account.objects.get(name="别的").owner == rep


def test_inactive_pools_and_pools_without_rule_do_nothing(pool, rep):
    pool.is_active = False
    pool.save()
    owned(pool, rep, "旧", owned_days=100)
    assert (pools_apply_rules(now=NOW).returned, Account.objects.filter(owner=rep).count()) == (
        0,
        1,
    )


def test_the_command_runs_the_rules_now(pool, rep, capsys):
    AccountFactory(owner=rep, pool=pool, owned_at=timezone.now() - datetime.timedelta(days=99))
    call_command("pool_rules")
    assert capsys.readouterr().out.strip() == "pools=1 returned=1 warned=0"
