"""`guanxi demo`: a realistic bilingual company a newcomer can log in to and search."""

import re

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.test import Client

from guanxi.core import search
from guanxi.core.models import AuditEntry, CustomField, Department, Share, User
from guanxi.customers.models import Account, AccountContact, Contact
from guanxi.dataio.models import ImportRun
from guanxi.workflow import automation_demo
from guanxi.workflow.automation_models import AutomationRule, AutomationRun

pytestmark = pytest.mark.django_db


def test_demo_builds_a_company_once_and_prints_the_login(capsys, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo")
    first = capsys.readouterr().out
    password = re.search(r"Admin login: admin / (\S+)", first).group(1)

    assert Department.objects.filter(parent__isnull=True).count() >= 1
    assert 10 <= User.objects.filter(is_superuser=False).count() <= 20
    assert Account.objects.count() == 200
    assert Contact.objects.count() >= 380
    assert {"customer", "prospect", "partner", "reseller", "competitor"} <= set(
        Account.objects.values_list("account_type", flat=True)
    )
    assert Account.objects.filter(name__regex=r"[A-Za-z]").count() >= 20
    assert (
        Account.objects.exclude(phone_e164="").count() == Account.objects.exclude(phone="").count()
    )
    assert CustomField.objects.filter(entity="account").count() >= 3
    assert Share.objects.count() > 0
    links = AccountContact.objects.select_related("contact")
    assert 20 <= links.count() <= 40
    assert all(link.account_id != link.contact.account_id for link in links)
    demo_import = ImportRun.objects.get()
    assert (demo_import.entity, demo_import.created_count, demo_import.failed_count) == (
        "contact",
        5,
        1,
    )
    assert (
        AuditEntry.objects.filter(action="create", entity__in=["account", "contact"]).count()
        == Account.objects.count() + Contact.objects.count()
    )

    # The demo's automation rules are on, and creating the demo records did not fire them.
    assert set(AutomationRule.objects.filter(is_active=True).values_list("name", flat=True)) == {
        *automation_demo.DEMO_RULES
    }
    assert not AutomationRun.objects.exists()

    client = Client()
    assert client.login(username="admin", password=password)
    assert client.get("/accounts/").status_code == 200

    call_command("demo")
    again = capsys.readouterr().out
    assert "already exists" in again
    assert f"Admin login: admin / {password}" in again
    assert Account.objects.count() == 200


def test_demo_users_see_their_scope_and_search_works(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", stdout=__import__("io").StringIO())
    contact = Contact.objects.filter(name__regex=r"^[\u4e00-\u9fff]{2,3}$").first()
    initials = "".join(search.pinyin_keys(contact.name, person=True)[1])
    admin = User.objects.get(username="admin")
    assert contact.name in [hit.title for hit in search.search(admin, initials, per_entity=200)]

    rep = User.objects.filter(roles__name="销售代表").first()
    shared_with_rep = set(
        Share.objects.filter(entity="account")
        .filter(Q(user=rep) | Q(team__in=rep.teams.all()))
        .values_list("object_id", flat=True)
    )
    visible = Account.objects.visible_to(rep)
    for account in visible:
        assert account.owner_id == rep.pk or account.pk in shared_with_rep or account.in_pool
    assert visible.filter(owner=rep).count() == Account.objects.filter(owner=rep).count() > 0
    assert visible.count() < Account.objects.count()


def test_demo_shows_every_customer_feature(settings, tmp_path):
    """One demo run (they take seconds) checked for each feature a newcomer should see."""
    from guanxi.core.models import DuplicateCluster, Group, GroupMember, Role, Tagging
    from guanxi.core.privacy import masks_personal_data
    from guanxi.customers import points
    from guanxi.customers.models import (
        ClassificationRule,
        Consent,
        MembershipLevel,
        OwnershipPeriod,
        PointsEntry,
        Pool,
    )
    from guanxi.customers.pool_rules import pools_apply_rules

    settings.DATA_DIR = tmp_path
    call_command("demo", stdout=__import__("io").StringIO())

    # Duplicates to look at and merge.
    clusters = DuplicateCluster.objects.filter(entity="account")
    assert clusters.count() >= 5
    assert DuplicateCluster.objects.filter(entity="contact").count() >= 5
    admin = User.objects.get(username="admin")
    client = Client()
    client.force_login(admin)
    page = client.get("/accounts/duplicates/").content.decode()
    assert page.count('data-testid="duplicate-group"') == clusters.count()

    # A public pool with history, nothing due tonight.
    pool = Pool.objects.get()
    assert (pool.name, pool.days_without_follow_up, pool.is_default) == ("公海", 30, True)
    assert Account.objects.filter(pool=pool, owner__isnull=True).count() == 20
    assert OwnershipPeriod.objects.filter(ended_at__isnull=True).count() == 180
    assert OwnershipPeriod.objects.filter(start="claimed").count() >= 5
    rep = User.objects.filter(roles__name="销售代表").first()
    assert Account.objects.visible_to(rep).filter(owner__isnull=True).count() == 20

    # Tags, groups, consents and a masking role.
    assert (
        Tagging.objects.filter(tag__name="VIP").count()
        == Account.objects.filter(grade="vip").count()
    )
    assert sorted(Group.objects.values_list("entity", flat=True)) == ["account", "contact"]
    assert GroupMember.objects.count() > 25
    assert Consent.objects.filter(status="withdrawn", current=True).count() > 0
    assert Consent.objects.filter(status="granted", current=True).count() > 0
    assert set(Role.objects.filter(mask_personal_data=True).values_list("name", flat=True)) == {
        "客服",
        "客服（编辑本人）",
    }
    assert masks_personal_data(User.objects.get(username="sunyue")) is True

    # A loyalty programme and customers classified by rules.
    assert list(MembershipLevel.objects.values_list("name", flat=True)) == [
        "普通会员",
        "银卡会员",
        "金卡会员",
        "钻石会员",
    ]
    assert ClassificationRule.objects.count() == 3
    members = Account.objects.filter(points_entries__isnull=False).distinct()
    assert members.count() >= 15
    assert {"earn", "redeem", "expire"} <= set(PointsEntry.objects.values_list("kind", flat=True))
    for account in members:
        assert points.ledger_total(account) == account.points_balance
    assert Account.objects.exclude(relationship="").count() >= 150
    assert AuditEntry.objects.exclude(rule="").exists()

    run = pools_apply_rules()
    assert run.returned == 0
    assert run.warned >= 1

    call_command("demo", "--reset", stdout=__import__("io").StringIO())
    assert Account.objects.count() == 200
    assert Pool.objects.count() == 1
    assert Group.objects.count() == 2
