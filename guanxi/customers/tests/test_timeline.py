"""The customer 360° view: one timeline of the account and everything linked to it."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone, translation

from guanxi.api.auth import token_create
from guanxi.core import timeline
from guanxi.core.models import AuditEntry
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import AccountContact, Consent, OwnershipPeriod
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    return user


def _history(entity, record, action, minutes_ago, changes=None):
    entry = AuditEntry.objects.create(
        entity=entity,
        object_id=record.pk,
        object_repr=str(record),
        action=action,
        changes=changes or {},
    )
    at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    AuditEntry.objects.filter(pk=entry.pk).update(at=at)
    return at


def test_account_timeline_merges_its_changes_and_its_contacts_newest_first(rep, client_for):
    account = AccountFactory(owner=rep, name="华信科技")
    mine = ContactFactory(owner=rep, account=account, name="王芳")
    linked = ContactFactory(owner=rep, account=AccountFactory(owner=rep), name="李雷")
    AccountContact.objects.create(account=account, contact=linked)
    hidden = ContactFactory(owner=UserFactory(), account=account, name="秘密")
    _history("account", account, "create", 50)
    _history("contact", mine, "create", 40)
    _history("account", account, "update", 30, {"city": ["", "上海"]})
    _history("contact", linked, "update", 20, {"title": ["", "CTO"]})
    _history("contact", hidden, "create", 10)

    with translation.override("en"):
        items, next_before = timeline.timeline("account", account, rep, limit=10)

    assert [(item.kind, item.action) for item in items] == [
        ("contact", "update"),
        ("change", "update"),
        ("contact", "create"),
        ("change", "create"),
    ]
    assert next_before is None
    assert items[0].title == "Contact 李雷: Updated"
    page = client_for(rep).get(f"/accounts/{account.pk}/?tab=timeline").content.decode()
    assert page.count('class="timeline-event"') == 4
    assert "秘密" not in page


def test_timeline_pages_by_time_and_filters_by_kind(rep):
    account = AccountFactory(owner=rep)
    contact = ContactFactory(owner=rep, account=account)
    for minutes in range(1, 6):
        _history("account", account, "update", minutes * 2, {"city": [str(minutes), "x"]})
        _history("contact", contact, "update", minutes * 2 + 1, {"title": [str(minutes), "y"]})
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    first = api.get(f"/api/v1/accounts/{account.pk}/timeline?limit=4").json()
    second = api.get(
        f"/api/v1/accounts/{account.pk}/timeline", {"limit": 4, "before": first["next"]}
    ).json()
    third = api.get(
        f"/api/v1/accounts/{account.pk}/timeline", {"limit": 4, "before": second["next"]}
    ).json()

    kinds = [item["kind"] for page in (first, second, third) for item in page["items"]]
    assert kinds == ["change", "contact"] * 5
    assert third["next"] is None
    only_contacts = api.get(
        f"/api/v1/accounts/{account.pk}/timeline", {"kind": "contact", "limit": 50}
    ).json()
    assert [item["kind"] for item in only_contacts["items"]] == ["contact"] * 5
    assert only_contacts["items"][0]["changes"][0]["label"] == "Job title"


def test_timeline_of_an_account_outside_the_scope_is_not_found(rep):
    account = AccountFactory(owner=UserFactory())
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    assert api.get(f"/api/v1/accounts/{account.pk}/timeline").status_code == 404


def test_ownership_and_consent_show_on_the_account_timeline(rep):
    account = AccountFactory(owner=rep, name="云帆")
    contact = ContactFactory(owner=rep, account=account, name="王芳")
    hidden = ContactFactory(owner=UserFactory(), account=account, name="秘密")
    now = timezone.now()
    OwnershipPeriod.objects.create(
        account=account,
        owner=rep,
        start="claimed",
        started_at=now - datetime.timedelta(days=3),
        ended_at=now - datetime.timedelta(days=1),
        end="released",
        reason="不再跟进",
    )
    Consent.objects.create(
        contact=contact,
        channel="email",
        status="withdrawn",
        recorded_at=now - datetime.timedelta(days=2),
    )
    Consent.objects.create(contact=hidden, channel="sms", status="granted", recorded_at=now)

    with translation.override("en"):
        items, _next = timeline.timeline("account", account, rep, kinds=["ownership", "consent"])

    assert [(item.kind, item.title) for item in items] == [
        ("ownership", "rep is no longer the owner: Released to the pool"),
        ("consent", "王芳 · Email: Opted out"),
        ("ownership", "rep became the owner: Claimed from the pool"),
    ]
    assert items[0].body == "不再跟进"


def test_points_show_on_the_account_timeline(rep):
    from guanxi.customers import points

    account = AccountFactory(owner=rep)
    points.points_earn(actor=rep, account=account, points=50, reason="订单 SO-1")
    points.points_redeem(actor=rep, account=account, points=20, reason="兑换礼品")

    with translation.override("en"):
        items, _next = timeline.timeline("account", account, rep, kinds=["points"])

    assert [(item.title, item.body) for item in items] == [
        ("Redeemed -20 points, balance 30", "兑换礼品"),
        ("Earned +50 points, balance 50", "订单 SO-1"),
    ]
