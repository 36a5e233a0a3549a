"""Who sees and decides what: an approver without the record's scope sees what they decide on."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.api.auth import token_create
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.workflow import approval_services as services
from guanxi.workflow.approval_models import ApprovalStatus, TaskDecision
from guanxi.workflow.tests.approval_helpers import Org, deal, make_process, step

pytestmark = pytest.mark.django_db
ABOVE_500K = {"match": "all", "rules": [{"field": "amount", "op": "gt", "value": "500000"}]}


@pytest.fixture
def setup():
    org = Org()
    finance = UserFactory(username="finance.approver")  # no role: sees no deals at all
    process = make_process(
        org,
        conditions=ABOVE_500K,
        governed_fields=["expected_close"],
        steps=[step("user", user=finance.pk)],
    )
    record = deal(org.rep, amount="880000", next_step="秘密的下一步计划")
    instance = services.approval_submit(
        actor=org.rep, entity_name="opportunity", record=record, process=process
    )
    return org, finance, record, instance


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def test_an_approver_outside_the_scope_sees_the_decision_and_nothing_more(setup, client_for):
    _org, finance, record, instance = setup
    client = client_for(finance)
    page = client.get(reverse("web:approval_detail", args=[instance.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    summary = {row.key: row.value for row in page.context["summary"]}
    assert list(summary) == ["expected_close", "amount"]
    assert summary["amount"] == "880,000.00"
    assert "秘密的下一步计划" not in html
    assert 'data-testid="approval-record-link"' not in html
    assert client.get(reverse("web:opportunity_detail", args=[record.pk])).status_code in (403, 404)
    assert api(finance).get(f"/api/v1/opportunities/{record.pk}").status_code in (403, 404)

    body = api(finance).get(f"/api/v1/approvals/{instance.pk}").json()
    assert [row["key"] for row in body["summary"]] == ["expected_close", "amount"]
    assert "next_step" not in json.dumps(body)

    response = client.post(reverse("web:approval_decide", args=[instance.pk, "approve"]))
    assert response.status_code == 302
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED


def test_others_neither_see_nor_decide(setup, client_for):
    _org, _finance, _record, instance = setup
    stranger = UserFactory(username="stranger")
    assert (
        client_for(stranger).get(reverse("web:approval_detail", args=[instance.pk])).status_code
        == 404
    )
    assert (
        api(stranger)
        .post(f"/api/v1/approvals/{instance.pk}/approve", "{}", content_type="application/json")
        .status_code
        == 404
    )

    boss = UserFactory(username="boss")
    grant(boss, "opportunity", ["view"], scope="all")
    assert (
        client_for(boss).get(reverse("web:approval_detail", args=[instance.pk])).status_code == 200
    )
    denied = api(boss).post(
        f"/api/v1/approvals/{instance.pk}/approve", "{}", content_type="application/json"
    )
    assert denied.status_code == 403
    withdraw = api(boss).post(
        f"/api/v1/approvals/{instance.pk}/withdraw", "{}", content_type="application/json"
    )
    assert withdraw.status_code == 403
    web = client_for(boss).post(reverse("web:approval_decide", args=[instance.pk, "approve"]))
    assert web.status_code == 403
    assert instance.tasks.get().decision == TaskDecision.PENDING
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.PENDING


def test_the_requester_withdraws_from_the_api(setup):
    org, _finance, _record, instance = setup
    response = api(org.rep).post(
        f"/api/v1/approvals/{instance.pk}/withdraw",
        json.dumps({"comment": "金额要改"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_process_definitions_are_for_administrators(setup, client_for):
    org, _finance, _record, _instance = setup
    assert api(org.rep).get("/api/v1/approval-processes").status_code == 403
    assert client_for(org.rep).get(reverse("web:approval_process_list")).status_code == 403
    assert client_for(org.rep).get(reverse("web:approval_monitor")).status_code == 403
    assert api(org.admin).get("/api/v1/approval-processes").json()["count"] == 1


def test_the_approvals_list_shows_only_what_a_user_may_see(setup):
    org, finance, _record, _instance = setup
    stranger = UserFactory(username="stranger")
    assert api(stranger).get("/api/v1/approvals").json()["count"] == 0
    assert api(finance).get("/api/v1/approvals?mine=pending").json()["count"] == 1
    assert api(org.rep).get("/api/v1/approvals?mine=requested").json()["count"] == 1
    boss = UserFactory(username="boss")
    grant(boss, "opportunity", ["view"], scope="all")
    assert api(boss).get("/api/v1/approvals").json()["count"] == 1
