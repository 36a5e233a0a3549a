"""The REST API contract: auth, list shape, filters, ordering, paging, errors, language."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from guanxi.api.auth import token_create
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", scope="all")
    return user


@pytest.fixture
def api(rep):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")


def test_token_command_prints_a_working_token_as_last_word(rep, capsys):
    call_command("token", "rep")
    key = capsys.readouterr().out.split()[-1]
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/accounts")
    assert response.status_code == 200


def test_bad_token_is_401_in_the_error_shape():
    response = Client(HTTP_AUTHORIZATION="Bearer nope").get("/api/v1/accounts")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication required: send a valid API token.",
        "errors": {},
    }


def test_inactive_users_tokens_stop_working(rep, api):
    rep.is_active = False
    rep.save()
    assert api.get("/api/v1/accounts").status_code == 401


def test_list_filters_orders_and_pages(rep, api):
    for name, kind in [("甲公司", "customer"), ("乙公司", "prospect"), ("丙公司", "customer")]:
        AccountFactory(name=name, account_type=kind, owner=rep)
    body = api.get("/api/v1/accounts", {"account_type": "customer", "ordering": "name"}).json()
    assert body["count"] == 2
    assert [item["name"] for item in body["items"]] == sorted(["甲公司", "丙公司"])
    page = api.get("/api/v1/accounts", {"ordering": "-name", "limit": 1, "offset": 1}).json()
    assert page["count"] == 3
    assert [item["name"] for item in page["items"]] == [
        sorted(["甲公司", "乙公司", "丙公司"], reverse=True)[1]
    ]
    mine = api.get("/api/v1/accounts", {"owner": "me"}).json()
    assert mine["count"] == 3
    unknown_order = api.get("/api/v1/accounts", {"ordering": "password"})
    assert unknown_order.status_code == 200


def test_q_uses_the_search_index(rep, api):
    api.post(
        "/api/v1/accounts",
        json.dumps({"name": "广州南方贸易有限公司", "phone": "020-3888 6666"}),
        content_type="application/json",
    )
    AccountFactory(name="不相干", owner=rep)
    for query in ("南方", "nfmy", "38886666"):
        body = api.get("/api/v1/accounts", {"q": query}).json()
        assert [item["name"] for item in body["items"]] == ["广州南方贸易有限公司"], query


def test_validation_errors_are_in_the_requested_language(api):
    response = api.post(
        "/api/v1/accounts",
        json.dumps({"name": "", "phone": "12"}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The data is not valid."
    assert set(body["errors"]) == {"name", "phone"}
    zh = api.post(
        "/api/v1/accounts",
        json.dumps({"name": ""}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert zh.json()["errors"]["name"] == ["此字段为必填项。"]
    assert Account.objects.count() == 0


def test_wrong_json_types_are_400_not_500(api):
    response = api.post(
        "/api/v1/accounts",
        json.dumps({"name": ["x"], "employees": "many"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "employees"}


def test_protected_delete_is_409(rep, api):
    from guanxi.customers.tests.factories import ContactFactory

    grant(rep, "contact", scope="all")
    contact = ContactFactory(owner=rep)
    response = api.delete(f"/api/v1/accounts/{contact.account_id}")
    assert response.status_code == 409
    assert Account.objects.filter(pk=contact.account_id).count() == 1


def test_share_endpoint(rep, api):
    reader = UserFactory(username="reader")
    grant(reader, "account", ["view"], scope="own")
    account = AccountFactory(owner=rep)
    response = api.post(
        f"/api/v1/accounts/{account.pk}/share",
        json.dumps({"users": [reader.pk], "access": "read"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()[0]["user"] == reader.pk
    reader_api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=reader)}")
    assert reader_api.get(f"/api/v1/accounts/{account.pk}").status_code == 200
    bad = api.post(
        f"/api/v1/accounts/{account.pk}/share",
        json.dumps({"users": [9999], "access": "all"}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"users", "access"}


def test_openapi_documents_the_resources(admin_client):
    schema = Client().get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/accounts",
        "/api/v1/accounts/{pk}",
        "/api/v1/contacts",
        "/api/v1/accounts/{pk}/timeline",
    ):
        assert path in schema["paths"], path
    assert admin_client.get("/api/v1/docs").status_code == 200


def test_session_auth_works_for_the_browser(admin_client):
    AccountFactory(name="会话")
    assert admin_client.get("/api/v1/accounts").json()["count"] == 1


def test_a_rep_who_may_not_assign_creates_records_owned_by_themselves():
    rep = UserFactory(username="own.rep")
    grant(rep, "account", ["view", "create", "edit"], scope="own")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    response = client.post(
        "/api/v1/accounts", {"name": "自有客户"}, content_type="application/json"
    )

    assert response.status_code == 201
    assert Account.objects.get(name="自有客户").owner == rep
