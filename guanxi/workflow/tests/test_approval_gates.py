"""The two wired gates: a deal won above an amount, a customer moved to another department."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.api.auth import token_create
from guanxi.core.models import AuditEntry
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.services import account_transfer
from guanxi.customers.tests.factories import AccountFactory
from guanxi.sales.models import Opportunity
from guanxi.sales.opportunity_services import opportunity_move_stage
from guanxi.workflow.approval_models import ApprovalInstance, ApprovalStatus
from guanxi.workflow.tests.approval_helpers import Org, approve, deal, make_process, step

pytestmark = pytest.mark.django_db
ABOVE_500K = {"match": "all", "rules": [{"field": "amount", "op": "gt", "value": "500000"}]}


@pytest.fixture
def org():
    org = Org()
    org.director.roles.add(org.director_role)
    return org


@pytest.fixture
def win_process(org):
    return make_process(
        org,
        trigger="opportunity.win",
        conditions=ABOVE_500K,
        governed_fields=["amount", "stage"],
        steps=[step("manager"), step("manager_of_manager")],
    )


def won(opportunity):
    return opportunity.pipeline.stages.get(is_won=True)


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def test_a_large_win_waits_and_is_done_as_the_requester_when_approved(org, win_process):
    big = deal(org.rep, amount="600000")
    start_stage = big.stage_id
    result = opportunity_move_stage(actor=org.rep, opportunity=big, stage=won(big))
    instance = result.pending_approval
    assert instance.gate == "opportunity.win"
    big.refresh_from_db()
    assert big.stage_id == start_stage

    approve(org.manager, instance)
    big.refresh_from_db()
    assert big.stage_id == start_stage
    approve(org.director, instance)
    big.refresh_from_db()
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED
    assert instance.perform_error == ""
    assert big.stage.is_won
    assert big.closed_at is not None
    move = AuditEntry.objects.filter(
        entity="opportunity", object_id=big.pk, changes__has_key="stage"
    )
    assert move.latest("at").actor == org.rep


def test_a_small_win_moves_at_once(org, win_process):
    small = deal(org.rep, amount="120000")
    moved = opportunity_move_stage(actor=org.rep, opportunity=small, stage=won(small))
    assert moved.stage.is_won
    assert getattr(moved, "pending_approval", None) is None
    assert ApprovalInstance.objects.count() == 0


def test_the_board_and_the_page_say_the_move_waits(org, win_process, client_for):
    big = deal(org.rep, amount="600000")
    client = client_for(org.rep)
    url = reverse("web:opportunity_stage_move", args=[big.pk])
    response = client.post(
        url, {"stage": won(big).pk, "version": big.version}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 202
    body = response.json()
    instance = ApprovalInstance.objects.get()
    assert body["approval"] == instance.pk
    assert "needs approval" in body["detail"]
    assert Opportunity.objects.get(pk=big.pk).stage.is_won is False

    again = client.post(url, {"stage": won(big).pk}, HTTP_ACCEPT="application/json")
    assert again.status_code == 400
    assert ApprovalInstance.objects.count() == 1


def test_the_api_answers_202_with_the_approval(org, win_process):
    big = deal(org.rep, amount="600000")
    response = api(org.rep).post(
        f"/api/v1/opportunities/{big.pk}/stage",
        json.dumps({"stage": won(big).pk}),
        content_type="application/json",
    )
    assert response.status_code == 202
    assert response.json()["approval"] == ApprovalInstance.objects.get().pk
    assert response.json()["stage"] == big.stage_id


def test_the_edit_form_cannot_win_a_governed_deal(org, win_process, client_for):
    big = deal(org.rep, amount="600000")
    client = client_for(org.rep)
    form = client.get(reverse("web:opportunity_edit", args=[big.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(
        {
            "stage": won(big).pk,
            "version": big.version,
            "expected_close": "2027-01-31",
            "account": big.account_id,
            "owner": org.rep.pk,
        }
    )
    response = client.post(reverse("web:opportunity_edit", args=[big.pk]), data)
    assert response.status_code == 409
    assert "needs approval" in response.content.decode()
    assert Opportunity.objects.get(pk=big.pk).stage.is_won is False


@pytest.fixture
def transfer_process(org):
    return make_process(
        org,
        name="跨部门转移审批",
        entity="account",
        trigger="account.transfer_department",
        governed_fields=["owner"],
        steps=[step("department_head", levels=0)],
    )


def test_a_transfer_to_another_department_waits_for_approval(org, transfer_process, client_for):
    colleague = UserFactory(username="chen.colleague", department=org.east)
    elsewhere = UserFactory(username="hq.rep", department=org.hq)
    account = AccountFactory(owner=org.rep)
    account_transfer(actor=org.rep, account=account, owner=colleague)
    assert Account.objects.get(pk=account.pk).owner == colleague
    assert ApprovalInstance.objects.count() == 0

    account = AccountFactory(owner=org.rep)
    response = client_for(org.rep).post(
        reverse("web:account_transfer", args=[account.pk]), {"owner": elsewhere.pk}
    )
    instance = ApprovalInstance.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:approval_detail", args=[instance.pk])
    assert Account.objects.get(pk=account.pk).owner == org.rep

    approve(org.manager, instance)
    assert Account.objects.get(pk=account.pk).owner == elsewhere


def test_the_transfer_api_answers_202_and_a_locked_owner_refuses(org, transfer_process):
    elsewhere = UserFactory(username="hq.rep", department=org.hq)
    account = AccountFactory(owner=org.rep)
    client = api(org.rep)
    url = f"/api/v1/accounts/{account.pk}/transfer"
    response = client.post(
        url, json.dumps({"owner": elsewhere.pk}), content_type="application/json"
    )
    assert response.status_code == 202
    assert response.json()["owner"] == org.rep.pk
    grant(org.rep, "account", scope="own")
    colleague = UserFactory(username="chen.colleague", department=org.east)
    second = client.post(url, json.dumps({"owner": colleague.pk}), content_type="application/json")
    assert second.status_code == 409
    assert "pending" in second.json()["detail"]
    assert Account.objects.get(pk=account.pk).owner == org.rep


def test_a_bulk_transfer_moves_the_rest_and_says_how_many_wait(org, transfer_process, client_for):
    elsewhere = UserFactory(username="hq.rep", department=org.hq)
    owned = [AccountFactory(owner=org.rep) for _ in range(2)]
    pooled = AccountFactory(owner=None)
    grant(org.rep, "account", scope="all")
    response = client_for(org.rep).post(
        reverse("web:account_bulk_transfer"),
        {"ids": [a.pk for a in [*owned, pooled]], "apply": "1", "owner": elsewhere.pk},
        follow=True,
    )
    assert response.status_code == 200
    texts = [str(message) for message in response.context["messages"]]
    assert "1 customers were changed." in texts
    assert "2 customers wait for approval before they move." in texts
    assert Account.objects.get(pk=pooled.pk).owner == elsewhere
    assert ApprovalInstance.objects.count() == 2
