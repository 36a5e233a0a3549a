"""Merging customers or contacts keeps contact links, ownership and consents consistent."""

import datetime

import pytest
from django.utils import timezone

from guanxi.core import registry
from guanxi.core.dedupe.merge import records_merge
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import AccountContact, Consent, OwnershipPeriod
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

ALL = ["view", "create", "edit", "delete", "assign"]


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", actions=ALL, scope="own")
    grant(user, "contact", actions=ALL, scope="own")
    return user


def test_merging_customers_keeps_one_link_per_contact_and_one_open_owner(rep):
    survivor = AccountFactory(owner=rep, name="华信")
    duplicate = AccountFactory(owner=rep, name="華信")
    both = ContactFactory(owner=rep, account=AccountFactory(owner=rep))
    main_there = ContactFactory(owner=rep, account=survivor)
    moved = ContactFactory(owner=rep, account=AccountFactory(owner=rep))
    AccountContact.objects.create(account=survivor, contact=both, role="influencer")
    AccountContact.objects.create(account=duplicate, contact=both, role="technical")
    AccountContact.objects.create(account=duplicate, contact=main_there)
    AccountContact.objects.create(account=duplicate, contact=moved, role="finance")
    start = timezone.now() - datetime.timedelta(days=5)
    for account in (survivor, duplicate):
        OwnershipPeriod.objects.create(
            account=account, owner=rep, start="created", started_at=start
        )

    records_merge(
        actor=rep, entity=registry.get("account"), survivor=survivor, duplicates=[duplicate]
    )

    links = AccountContact.objects.order_by("contact_id")
    assert [(link.account, link.contact, link.role) for link in links] == [
        (survivor, both, "influencer"),
        (survivor, moved, "finance"),
    ]
    periods = OwnershipPeriod.objects.filter(account=survivor)
    assert periods.filter(ended_at__isnull=True).count() == 1
    assert list(periods.exclude(end="").values_list("end", flat=True)) == ["merged"]


def test_merging_contacts_keeps_their_links_and_the_newest_consent_current(rep):
    main = AccountFactory(owner=rep)
    board = AccountFactory(owner=rep)
    survivor = ContactFactory(owner=rep, account=main, name="王芳")
    duplicate = ContactFactory(owner=rep, account=board, name="王 芳")
    AccountContact.objects.create(account=main, contact=duplicate, role="user")
    AccountContact.objects.create(account=board, contact=survivor, role="influencer")
    now = timezone.now()
    Consent.objects.create(
        contact=survivor, channel="email", status="granted", recorded_at=now - datetime.timedelta(1)
    )
    Consent.objects.create(contact=duplicate, channel="email", status="withdrawn", recorded_at=now)

    records_merge(
        actor=rep, entity=registry.get("contact"), survivor=survivor, duplicates=[duplicate]
    )

    assert list(AccountContact.objects.values_list("account", "contact", "role")) == [
        (board.pk, survivor.pk, "influencer")
    ]
    current = Consent.objects.get(contact=survivor, channel="email", current=True)
    assert current.status == "withdrawn"
    assert Consent.objects.filter(contact=survivor).count() == 2


def test_merging_customers_adds_up_their_points_and_level(rep):
    from guanxi.customers import points
    from guanxi.customers.models import MembershipLevel

    MembershipLevel.objects.create(name="银卡会员", threshold=100)
    survivor = AccountFactory(owner=rep)
    duplicate = AccountFactory(owner=rep)
    points.points_earn(actor=rep, account=survivor, points=60, reason="订单")
    points.points_earn(actor=rep, account=duplicate, points=70, reason="订单")
    points.points_redeem(actor=rep, account=duplicate, points=20, reason="礼品")

    records_merge(
        actor=rep, entity=registry.get("account"), survivor=survivor, duplicates=[duplicate]
    )

    survivor.refresh_from_db()
    assert (survivor.points_balance, survivor.points_lifetime) == (110, 130)
    assert survivor.membership_level.name == "银卡会员"
    assert points.ledger_total(survivor) == survivor.points_balance
