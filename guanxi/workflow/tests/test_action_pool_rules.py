"""Pool return rules on the automation parts: conditions and the return_to_pool action."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import translation

from guanxi.core.models import AuditEntry, CustomField, Notification
from guanxi.core.tests.factories import UserFactory
from guanxi.customers.models import Account, OwnershipPeriod, Pool
from guanxi.customers.pool_rules import pools_apply_rules
from guanxi.customers.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 1, 2, 15, tzinfo=datetime.UTC)


def days_ago(days):
    return NOW - datetime.timedelta(days=days)


def owned(pool, rep, name, *, owned_days, **kwargs):
    account = AccountFactory(
        name=name, owner=rep, pool=pool, owned_at=days_ago(owned_days), **kwargs
    )
    OwnershipPeriod.objects.create(
        account=account, owner=rep, started_at=days_ago(owned_days), start="claimed"
    )
    return account


def ordinary_only():
    return {"match": "all", "rules": [{"field": "grade", "op": "eq", "value": "ordinary"}]}


def test_only_customers_meeting_the_pools_conditions_return_or_are_warned():
    rep = UserFactory(username="rep", language="zh-hans")
    pool = Pool.objects.create(
        name="公海", days_without_follow_up=30, warning_days=3, conditions=ordinary_only()
    )
    plain = owned(pool, rep, "普通客户", owned_days=40, grade="ordinary")
    vip = owned(pool, rep, "重点客户", owned_days=40, grade="vip")
    soon = owned(pool, rep, "即将到期", owned_days=28, grade="ordinary")
    vip_soon = owned(pool, rep, "重点即将到期", owned_days=28, grade="vip")

    with translation.override("en"):
        run = pools_apply_rules(now=NOW)

    assert (run.returned, run.warned) == (1, 1)
    owners = dict(Account.objects.values_list("name", "owner_id"))
    assert owners == {
        "普通客户": None,
        "重点客户": rep.pk,
        "即将到期": rep.pk,
        "重点即将到期": rep.pk,
    }
    period = OwnershipPeriod.objects.get(account=plain)
    assert (period.end, period.reason, period.ended_by) == (
        "returned",
        "No follow-up for 30 days",
        None,
    )
    # Written by the return_to_pool action as no user; the owner reads it in Chinese.
    entry = AuditEntry.objects.filter(entity="account", object_id=plain.pk).latest("pk")
    assert (entry.action, entry.actor_id) == ("assign", None)
    [returned] = Notification.objects.filter(recipient=rep, title__contains="已退回")
    assert returned.body == "连续30天未跟进"
    warned = Notification.objects.filter(recipient=rep).exclude(pk=returned.pk)
    assert [note.url for note in warned] == [f"/accounts/{soon.pk}/"]
    assert vip.owner_id == vip_soon.owner_id == rep.pk


def test_conditions_the_database_cannot_check_are_checked_one_by_one():
    CustomField.objects.create(entity="account", key="score", label_en="Score", field_type="number")
    rep = UserFactory()
    tree = {"match": "all", "rules": [{"field": "custom.score", "op": "lt", "value": "50"}]}
    pool = Pool.objects.create(name="公海", days_without_follow_up=30, conditions=tree)
    low = owned(pool, rep, "低分", owned_days=40, custom={"score": 10})
    high = owned(pool, rep, "高分", owned_days=40, custom={"score": 90})

    assert pools_apply_rules(now=NOW).returned == 1

    low.refresh_from_db()
    high.refresh_from_db()
    assert (low.owner_id, high.owner_id) == (None, rep.pk)


def test_pool_settings_take_and_check_conditions(admin_client):
    data = {"name": "华东公海", "days_without_follow_up": 30, "warning_days": 3, "is_active": "on"}
    bad = admin_client.post(
        reverse("web:pool_settings_create"),
        {**data, "conditions": json.dumps({"rules": [{"field": "grade", "op": "gt", "value": 1}]})},
    )
    assert bad.status_code == 400
    assert not Pool.objects.exists()

    response = admin_client.post(
        reverse("web:pool_settings_create"), {**data, "conditions": json.dumps(ordinary_only())}
    )

    assert response.status_code == 302
    assert Pool.objects.get().conditions == ordinary_only()
    page = admin_client.get(reverse("web:pool_settings")).content.decode()
    assert "Only customers that meet: Customer grade is Ordinary" in page
