"""Data scope (数据权限): who sees and changes which records."""

import pytest
from django.urls import reverse

from guanxi.core import org
from guanxi.core.models import Share
from guanxi.core.permissions import forget_grants, user_scope
from guanxi.core.tests.factories import TeamFactory, UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    """Sales (销售部) with East (华东) below it, and Service (客服部) beside it."""
    sales = org.department_create(name="销售部")
    east = org.department_create(name="华东销售", parent=sales)
    service = org.department_create(name="客服部")
    return {"sales": sales, "east": east, "service": service}


def names_visible(user, action="view"):
    return sorted(Account.objects.visible_to(user, action).values_list("name", flat=True))


def test_each_scope_sees_exactly_its_records(tree):
    manager = UserFactory(username="manager", department=tree["sales"])
    colleague = UserFactory(username="colleague", department=tree["sales"])
    east_rep = UserFactory(username="east", department=tree["east"])
    service_rep = UserFactory(username="service", department=tree["service"])
    AccountFactory(name="经理的", owner=manager)
    AccountFactory(name="同事的", owner=colleague)
    AccountFactory(name="华东的", owner=east_rep)
    AccountFactory(name="客服的", owner=service_rep)

    grant(manager, "account", ["view"], scope="own")
    assert names_visible(manager) == ["经理的"]
    grant(manager, "account", ["view"], scope="department")
    assert names_visible(manager) == ["同事的", "经理的"]
    grant(manager, "account", ["view"], scope="department_tree")
    assert names_visible(manager) == ["华东的", "同事的", "经理的"]
    grant(manager, "account", ["view"], scope="all")
    assert names_visible(manager) == ["华东的", "同事的", "客服的", "经理的"]


def test_the_widest_scope_of_all_roles_counts_per_action(tree):
    rep = UserFactory(username="rep", department=tree["sales"])
    grant(rep, "account", ["view", "edit"], scope="own")
    grant(rep, "account", ["view"], scope="all")
    assert user_scope(rep, "account", "view") == "all"
    assert user_scope(rep, "account", "edit") == "own"
    assert user_scope(rep, "account", "delete") is None
    assert user_scope(rep, "contact", "view") is None


def test_moving_a_department_moves_its_scope(tree):
    boss = UserFactory(username="boss", department=tree["service"])
    east_rep = UserFactory(username="east", department=tree["east"])
    AccountFactory(name="华东的", owner=east_rep)
    grant(boss, "account", ["view"], scope="department_tree")
    assert names_visible(boss) == []
    org.department_update(
        department=tree["east"], name="华东销售", parent=tree["service"], manager=None
    )
    forget_grants(boss)  # what a new request does
    assert names_visible(boss) == ["华东的"]


def test_team_share_gives_read_not_edit():
    owner = UserFactory(username="owner")
    member = UserFactory(username="member")
    team = TeamFactory(name="大客户组")
    team.members.add(member)
    account = AccountFactory(name="共享的", owner=owner)
    grant(member, "account", ["view", "edit"], scope="own")
    Share.objects.create(entity="account", object_id=account.pk, team=team, access="read")
    assert names_visible(member, "view") == ["共享的"]
    assert names_visible(member, "edit") == []
    Share.objects.filter(team=team).update(access="edit")
    forget_grants(member)
    assert names_visible(member, "edit") == ["共享的"]
    assert names_visible(member, "delete") == []


def test_a_user_without_assign_cannot_give_a_record_away(client_for):
    rep = UserFactory(username="rep")
    other = UserFactory(username="other")
    grant(rep, "account", ["view", "create", "edit"], scope="own")
    account = AccountFactory(name="我的客户", owner=rep)
    response = client_for(rep).post(
        reverse("web:account_edit", args=[account.pk]),
        {
            "name": "我的客户",
            "account_type": "customer",
            "kind": "company",
            "currency": "CNY",
            "owner": other.pk,
            "version": 1,
        },
    )
    assert response.status_code == 400
    assert "not allowed to assign" in response.content.decode()
    account.refresh_from_db()
    assert account.owner == rep


def test_assigning_notifies_the_new_owner_in_their_language(
    client_for, django_capture_on_commit_callbacks
):
    manager = UserFactory(username="manager")
    rep = UserFactory(username="rep", language="zh-hans")
    grant(manager, "account", scope="all")
    account = AccountFactory(name="华信", owner=manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(
            reverse("web:account_edit", args=[account.pk]),
            {
                "name": "华信",
                "account_type": "customer",
                "kind": "company",
                "currency": "CNY",
                "owner": rep.pk,
                "version": 1,
            },
        )
    assert response.status_code == 302
    notification = rep.notifications.get()
    assert "华信" in notification.title
    assert notification.url == reverse("web:account_detail", args=[account.pk])


def test_a_record_created_outside_ones_scope_is_rolled_back(client_for):
    """Own-scope users without assign may not create records they would not see."""
    rep = UserFactory(username="rep")
    grant(rep, "account", ["view", "create"], scope="own")
    response = client_for(rep).post(
        reverse("web:account_create"),
        {
            "name": "别人的客户",
            "account_type": "customer",
            "kind": "company",
            "currency": "CNY",
            "owner": UserFactory(username="x").pk,
        },
    )
    assert response.status_code == 400
    assert Account.objects.count() == 0


def test_contact_form_offers_only_accounts_in_scope(client_for):
    rep = UserFactory(username="rep")
    grant(rep, "contact", scope="own")
    grant(rep, "account", ["view"], scope="own")
    foreign = AccountFactory(name="别人的客户", owner=UserFactory(username="x"))
    response = client_for(rep).post(
        reverse("web:contact_create"),
        {"name": "张三", "account": foreign.pk, "owner": rep.pk},
    )
    assert response.status_code == 400
    assert "account" in response.context["form"].errors
    assert rep.pk not in Account.objects.values_list("contacts__owner", flat=True)
