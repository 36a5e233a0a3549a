"""The public-pool API: pools, pool lists, claim, release, assign, transfer, history."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guanxi.api.auth import token_create
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.customers.tests.pool_helpers import PoolFactory, pool_account, rep_with_pool

pytestmark = pytest.mark.django_db


def api_for(user, language="en"):
    return Client(
        HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}", HTTP_ACCEPT_LANGUAGE=language
    )


@pytest.fixture
def pool():
    return PoolFactory(name="华东公海", days_without_follow_up=30)


def test_pools_lists_only_pools_open_to_the_users_roles(pool):
    PoolFactory(name="华南公海")
    pool_account(pool)
    rep = rep_with_pool(pool)
    response = api_for(rep).get("/api/v1/pools")
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "items": [
            {
                "id": pool.pk,
                "name": "华东公海",
                "description": "",
                "days_without_follow_up": 30,
                "days_without_deal": None,
                "warning_days": 3,
                "is_default": False,
                "departments": [],
                "account_count": 1,
                "account_count_capped": False,
            }
        ],
    }


def test_pool_accounts_list_in_a_fixed_number_of_queries(pool):
    rep = rep_with_pool(pool)
    for index in range(3):
        pool_account(pool, name=f"公海客户{index}")
    client = api_for(rep)
    client.get(f"/api/v1/pools/{pool.pk}/accounts")  # warm caches of the first request
    with CaptureQueriesContext(connection) as few:
        response = client.get(f"/api/v1/pools/{pool.pk}/accounts")
    for index in range(3, 13):
        pool_account(pool, name=f"公海客户{index}")
    with CaptureQueriesContext(connection) as many:
        more = client.get(f"/api/v1/pools/{pool.pk}/accounts")
    assert response.json()["count"] == 3
    assert more.json()["count"] == 13
    assert len(few) == len(many), [q["sql"] for q in many.captured_queries]
    assert more.json()["items"][0]["name"] == "公海客户12"


def test_a_rep_without_pool_access_gets_404_everywhere(pool):
    account = pool_account(pool)
    outsider = UserFactory(username="outsider")
    grant(outsider, "account", ["view", "edit"], scope="own")
    client = api_for(outsider)
    assert client.get(f"/api/v1/pools/{pool.pk}/accounts").status_code == 404
    assert client.get(f"/api/v1/accounts/{account.pk}").status_code == 404
    response = client.post(f"/api/v1/accounts/{account.pk}/claim")
    assert (response.status_code, response.json()["detail"]) == (404, "Not found.")
    response = client.post("/api/v1/accounts/claim", {"ids": [account.pk]}, "application/json")
    assert response.status_code == 404
    account.refresh_from_db()
    assert account.owner is None


def test_claim_then_release_through_the_api(pool):
    account = pool_account(pool, name="云帆")
    rep = rep_with_pool(pool)
    client = api_for(rep)
    response = client.post(f"/api/v1/accounts/{account.pk}/claim")
    assert response.status_code == 200
    assert (response.json()["owner"], response.json()["pool"]) == (rep.pk, pool.pk)
    again = client.post(f"/api/v1/accounts/{account.pk}/claim")
    assert (again.status_code, again.json()["detail"]) == (409, "You already own “云帆”.")

    no_reason = client.post(f"/api/v1/accounts/{account.pk}/release", {}, "application/json")
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"] == {"reason": ["Say why the customer goes back to the pool."]}
    released = client.post(
        f"/api/v1/accounts/{account.pk}/release", {"reason": "无需求"}, "application/json"
    )
    assert (released.status_code, released.json()["owner"]) == (200, None)

    history = client.get(f"/api/v1/accounts/{account.pk}/ownership").json()
    assert [(p["owner_name"], p["start"], p["end"], p["reason"]) for p in history] == [
        ("rep", "claimed", "released", "无需求")
    ]


def test_a_claim_over_the_cap_answers_409_in_the_users_language(pool):
    rep = rep_with_pool(pool, cap=0)
    account = pool_account(pool)
    response = api_for(rep, "zh-hans").post(f"/api/v1/accounts/{account.pk}/claim")
    assert response.status_code == 409
    assert response.json()["detail"] == "rep 最多可拥有 0 个客户，已拥有 0 个，还可增加 0 个。"


def test_assign_and_transfer_need_the_assign_permission(pool):
    rep = rep_with_pool(pool)
    account = pool_account(pool)
    response = api_for(rep).post(
        f"/api/v1/accounts/{account.pk}/assign", {"owner": rep.pk}, "application/json"
    )
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.owner is None


def test_assign_from_the_pool_and_bulk_transfer(pool):
    manager = rep_with_pool(pool, "manager", actions=("view", "edit", "assign"))
    grant(manager, "account", ["view", "edit", "assign"], scope="all")
    rep, other = UserFactory(username="rep"), UserFactory(username="other")
    account = pool_account(pool)
    client = api_for(manager)
    response = client.post(
        f"/api/v1/accounts/{account.pk}/assign", {"owner": rep.pk}, "application/json"
    )
    assert (response.status_code, response.json()["owner"]) == (200, rep.pk)
    unknown = client.post(
        f"/api/v1/accounts/{account.pk}/assign", {"owner": 999999}, "application/json"
    )
    assert (unknown.status_code, unknown.json()["errors"]) == (
        400,
        {"owner": ["Unknown or inactive user."]},
    )
    second = AccountFactory(owner=rep)
    contact = ContactFactory(account=second, owner=rep)
    response = client.post(
        "/api/v1/accounts/transfer",
        {"ids": [account.pk, second.pk], "owner": other.pk, "include_contacts": True},
        "application/json",
    )
    assert response.json() == {"count": 2, "ids": [account.pk, second.pk]}
    assert set(Account.objects.filter(owner=other).values_list("pk", flat=True)) == {
        account.pk,
        second.pk,
    }
    contact.refresh_from_db()
    assert contact.owner == other


def test_bulk_actions_refuse_an_empty_selection_and_unknown_pools(pool):
    rep = rep_with_pool(pool)
    client = api_for(rep)
    response = client.post("/api/v1/accounts/claim", {"ids": []}, "application/json")
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"ids": ["Choose at least one customer."]},
    )
    mine = AccountFactory(owner=rep)
    response = client.post(
        "/api/v1/accounts/release",
        {"ids": [mine.pk], "reason": "x", "pool": 987654},
        "application/json",
    )
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"pool": ["Unknown public pool."]},
    )
    bad = client.post("/api/v1/accounts/claim", {"ids": "nope"}, "application/json")
    assert bad.status_code == 400
    mine.refresh_from_db()
    assert mine.owner == rep
