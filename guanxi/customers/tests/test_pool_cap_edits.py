"""The owned-customer cap holds on every path out of the pool, not only claim and assign."""

import pytest
from django.urls import reverse

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account, Pool
from guanxi.customers.tests.factories import AccountFactory
from guanxi.customers.tests.pool_helpers import pool_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    pool = Pool.objects.create(name="公海", is_default=True)
    rep = UserFactory(username="capped")
    role = grant(rep, "account", ["view"], scope="own")
    role.max_accounts = 1
    role.save()
    AccountFactory(owner=rep)  # the one customer the cap allows
    manager = UserFactory(username="manager")
    grant(manager, "account", ["view", "edit", "assign"], scope="all")
    return pool, rep, manager


def test_bulk_edit_of_owner_over_the_cap_is_refused_and_changes_nothing(setup, client_for):
    pool, rep, manager = setup
    in_pool = [pool_account(pool) for _ in range(2)]

    response = client_for(manager).post(
        reverse("web:account_bulk_edit"),
        {"ids": [a.pk for a in in_pool], "apply": "1", "apply_owner": "on", "owner": rep.pk},
    )

    assert response.status_code == 400
    assert "may own at most 1 customers" in response.content.decode()
    assert Account.objects.filter(owner=rep).count() == 1


def test_editing_a_pool_customer_to_give_it_an_owner_over_the_cap_is_refused(setup, client_for):
    pool, rep, manager = setup
    account = pool_account(pool, name="公海客户")

    response = client_for(manager).post(
        reverse("web:account_edit", args=[account.pk]),
        {
            "name": "公海客户",
            "account_type": "customer",
            "kind": "company",
            "currency": "CNY",
            "owner": rep.pk,
            "version": account.version,
        },
    )

    assert response.status_code == 400
    assert "may own at most 1 customers" in response.content.decode()
    account.refresh_from_db()
    assert account.owner is None


def test_a_pool_named_for_a_department_opens_to_it_and_the_departments_below():
    from guanxi.core.tests.factories import DepartmentFactory
    from guanxi.customers import ownership

    east = DepartmentFactory(name="华东销售部")
    shanghai = DepartmentFactory(name="上海组", parent=east)
    south = DepartmentFactory(name="华南销售部")
    everyone = Pool.objects.create(name="公海")
    east_pool = Pool.objects.create(name="华东公海")
    east_pool.departments.add(east)
    reps = {}
    for name, department in (("sh", shanghai), ("gz", south), ("none", None)):
        rep = UserFactory(username=name, department=department)
        role = grant(rep, "account", ["view"], scope="own")
        everyone.roles.add(role)
        east_pool.roles.add(role)
        reps[name] = rep
    in_east = pool_account(east_pool, name="华东的客户")

    assert ownership.accessible_pool_ids(reps["sh"]) == sorted([everyone.pk, east_pool.pk])
    assert ownership.accessible_pool_ids(reps["gz"]) == [everyone.pk]
    assert ownership.accessible_pool_ids(reps["none"]) == [everyone.pk]
    assert Account.objects.visible_to(reps["sh"]).filter(pk=in_east.pk).exists()
    assert not Account.objects.visible_to(reps["gz"]).filter(pk=in_east.pk).exists()
