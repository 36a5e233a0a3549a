"""The approval API: validated process definitions, submitting, deciding, list query counts."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guanxi.api.auth import token_create
from guanxi.workflow import approval_services as services
from guanxi.workflow.approval_models import ApprovalProcess, ApprovalProcessVersion
from guanxi.workflow.tests.approval_helpers import Org, deal, make_process, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return Org()


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


def valid(**changes):
    return {
        "name": "大额赢单审批",
        "entity": "opportunity",
        "trigger": "opportunity.win",
        "conditions": {
            "match": "all",
            "rules": [{"field": "amount", "op": "gt", "value": "500000"}],
        },
        "governed_fields": ["amount"],
        "steps": [
            {"approver": {"kind": "manager"}},
            {"approver": {"kind": "manager_of_manager"}, "mode": "all"},
        ],
        **changes,
    }


def test_create_read_update_publishes_versions(org):
    client = api(org.admin)
    created = post(client, "/api/v1/approval-processes", valid())
    assert created.status_code == 201
    body = created.json()
    assert body["version"] == 1
    assert [s["name"] for s in body["steps"]] == ["Step 1", "Step 2"]
    assert body["steps"][1]["mode"] == "all"
    pk = body["id"]
    patched = client.patch(
        f"/api/v1/approval-processes/{pk}",
        json.dumps({"steps": [{"approver": {"kind": "department_head", "levels": 1}}]}),
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    assert ApprovalProcessVersion.objects.filter(process_id=pk).count() == 2
    renamed = client.patch(
        f"/api/v1/approval-processes/{pk}",
        json.dumps({"name": "新名字"}),
        content_type="application/json",
    )
    assert renamed.json()["version"] == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"governed_fields": ["no_such_field"]}, "governed_fields"),
        ({"steps": []}, "steps"),
        ({"steps": [{"approver": {"kind": "astrologer"}}]}, "steps.0.approver"),
        ({"steps": [{"approver": {"kind": "user", "user": 99999}}]}, "steps.0.approver"),
        ({"steps": [{"approver": {"kind": "manager"}, "mode": "most"}]}, "steps.0.mode"),
        (
            {"conditions": {"match": "all", "rules": [{"field": "nope", "op": "eq", "value": 1}]}},
            "conditions",
        ),
        ({"entity": "spaceship"}, "entity"),
        ({"trigger": "account.transfer_department"}, "trigger"),
        ({"name": "  "}, "name"),
    ],
)
def test_invalid_definitions_are_refused_with_the_field(org, changes, field):
    response = post(api(org.admin), "/api/v1/approval-processes", valid(**changes))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]
    assert ApprovalProcess.objects.count() == 0


def test_wrong_types_are_refused(org):
    response = post(api(org.admin), "/api/v1/approval-processes", valid(steps="manager"))
    assert response.status_code == 400
    assert response.json()["errors"]
    assert ApprovalProcess.objects.count() == 0


def test_a_process_that_ran_cannot_be_deleted(org):
    process = make_process(org)
    services.approval_submit(
        actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
    )
    response = api(org.admin).delete(f"/api/v1/approval-processes/{process.pk}")
    assert response.status_code == 409
    unused = make_process(org, name="unused")
    assert api(org.admin).delete(f"/api/v1/approval-processes/{unused.pk}").status_code == 204


def test_submit_approve_and_reject_through_the_api(org):
    make_process(org, steps=[step("manager"), step("manager_of_manager")])
    record = deal(org.rep)
    submitted = post(
        api(org.rep),
        "/api/v1/approvals",
        {"entity": "opportunity", "record": record.pk, "comment": "请批"},
    )
    assert submitted.status_code == 201
    pk = submitted.json()["id"]
    assert submitted.json()["tasks"][0]["assignee"] == org.manager.pk
    approved = post(api(org.manager), f"/api/v1/approvals/{pk}/approve", {"comment": "同意"})
    assert approved.status_code == 200
    assert approved.json()["step_index"] == 1
    again = post(api(org.manager), f"/api/v1/approvals/{pk}/approve", {})
    assert again.status_code == 403
    no_reason = post(api(org.director), f"/api/v1/approvals/{pk}/reject", {"comment": ""})
    assert no_reason.status_code == 400
    assert "comment" in no_reason.json()["errors"]
    rejected = post(api(org.director), f"/api/v1/approvals/{pk}/reject", {"comment": "折扣太大"})
    assert rejected.json()["status"] == "rejected"
    assert [t["decision"] for t in rejected.json()["tasks"]] == ["approved", "rejected"]


def test_submitting_without_an_applicable_process_or_scope(org):
    record = deal(org.rep)
    response = post(
        api(org.rep), "/api/v1/approvals", {"entity": "opportunity", "record": record.pk}
    )
    assert response.status_code == 400
    make_process(org)
    other = deal(org.manager)
    outside = post(api(org.rep), "/api/v1/approvals", {"entity": "opportunity", "record": other.pk})
    assert outside.status_code == 404


def test_delegate_through_the_api(org):
    process = make_process(org)
    instance = services.approval_submit(
        actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
    )
    response = post(
        api(org.manager), f"/api/v1/approvals/{instance.pk}/delegate", {"delegate": org.vp.pk}
    )
    assert response.status_code == 200
    tasks = response.json()["tasks"]
    assert [(t["assignee"], t["decision"], t["delegated_from"]) for t in tasks] == [
        (org.manager.pk, "delegated", None),
        (org.vp.pk, "pending", org.manager.pk),
    ]
    standing = post(
        api(org.vp),
        "/api/v1/approval-delegations",
        {"delegate": org.director.pk, "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
    )
    assert standing.status_code == 400
    assert "ends_on" in standing.json()["errors"]


def test_the_list_filters_and_keeps_its_query_count(org):
    process = make_process(org, steps=[step("manager"), step("manager_of_manager")])
    client = api(org.manager)

    def submit_some(n):
        for _ in range(n):
            services.approval_submit(
                actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
            )

    submit_some(2)
    client.get("/api/v1/approvals?mine=pending")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/approvals?mine=pending").json()["count"] == 2
    submit_some(4)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/approvals?mine=pending").json()
    assert body["count"] == 6
    assert len(many.captured_queries) == len(few.captured_queries)
    first = body["items"][-1]
    assert (
        client.get(f"/api/v1/approvals?entity=opportunity&record={first['record']}").json()["count"]
        == 1
    )
    assert client.get("/api/v1/approvals?status=approved").json()["count"] == 0
    bad = client.get("/api/v1/approvals?status=maybe")
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]
