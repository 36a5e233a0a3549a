"""`guanxi demo`: a realistic bilingual company a newcomer can log in to and search."""

import re

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.test import Client

from guanxi.core import search
from guanxi.core.models import AuditEntry, CustomField, Department, Share, User
from guanxi.customers.models import Account, Contact

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
    assert (
        AuditEntry.objects.filter(action="create").count()
        == Account.objects.count() + Contact.objects.count()
    )

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
        assert account.owner_id == rep.pk or account.pk in shared_with_rep
    assert visible.filter(owner=rep).count() == Account.objects.filter(owner=rep).count() > 0
    assert visible.count() < Account.objects.count()


def test_demo_has_a_loyalty_programme_and_classified_customers(settings, tmp_path):
    from guanxi.customers import points
    from guanxi.customers.models import ClassificationRule, MembershipLevel, PointsEntry

    settings.DATA_DIR = tmp_path
    call_command("demo", stdout=__import__("io").StringIO())

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

    call_command("demo", "--reset", stdout=__import__("io").StringIO())
    assert Account.objects.count() == 200
