"""A record under approval refuses edits of its locked fields: forms, API and bulk edit."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.api.auth import token_create
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory
from guanxi.workflow import approval_services as services
from guanxi.workflow.tests.approval_helpers import Org, approve, make_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    org = Org()
    process = make_process(
        org, name="客户等级审批", entity="account", governed_fields=["grade", "city"]
    )
    account = AccountFactory(owner=org.rep, name="杭州云帆科技有限公司", grade="ordinary")
    instance = services.approval_submit(
        actor=org.rep, entity_name="account", record=account, process=process
    )
    return org, account, instance


def edit_data(account, **changes):
    return {
        "name": account.name,
        "account_type": account.account_type,
        "kind": account.kind,
        "currency": account.currency,
        "grade": account.grade,
        "city": account.city,
        "owner": account.owner_id,
        "version": account.version,
        **changes,
    }


def test_the_edit_form_refuses_a_locked_field_and_allows_the_others(setup, client_for):
    org, account, instance = setup
    client = client_for(org.rep)
    url = reverse("web:account_edit", args=[account.pk])
    response = client.post(url, edit_data(account, grade="vip"))
    assert response.status_code == 409
    assert "cannot change while the approval “客户等级审批” is pending" in response.content.decode()
    assert Account.objects.get(pk=account.pk).grade == "ordinary"

    allowed = client.post(url, edit_data(account, phone="021-55550000"))
    assert allowed.status_code == 302
    assert Account.objects.get(pk=account.pk).phone == "021-55550000"

    approve(org.manager, instance)
    account.refresh_from_db()
    after = client.post(url, edit_data(account, grade="vip"))
    assert after.status_code == 302
    assert Account.objects.get(pk=account.pk).grade == "vip"


def test_the_api_refuses_a_locked_field_with_409(setup):
    org, account, _instance = setup
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=org.rep)}")
    response = client.patch(
        f"/api/v1/accounts/{account.pk}",
        json.dumps({"city": "北京"}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["city"]
    assert Account.objects.get(pk=account.pk).city == "上海"


def test_bulk_edit_refuses_the_whole_selection(setup, client_for):
    org, account, _instance = setup
    free = AccountFactory(owner=org.rep, grade="ordinary")
    response = client_for(org.rep).post(
        reverse("web:account_bulk_edit"),
        {"ids": [free.pk, account.pk], "apply": "1", "apply_grade": "on", "grade": "vip"},
    )
    assert response.status_code == 400
    assert "is pending" in response.content.decode()
    assert set(Account.objects.values_list("grade", flat=True)) == {"ordinary"}


def test_the_lock_message_is_translated(setup, client_for):
    org, account, _instance = setup
    org.rep.language = "zh-hans"
    org.rep.save()
    client = client_for(org.rep)
    response = client.post(
        reverse("web:account_edit", args=[account.pk]),
        edit_data(account, grade="vip"),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 409
    assert "正在审批" in response.content.decode()
