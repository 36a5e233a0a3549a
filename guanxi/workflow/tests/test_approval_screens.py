"""Approval screens: settings with steps, the record's panel, inbox, decisions, monitor, email."""

import datetime
import json
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.workflow import approval_services as services
from guanxi.workflow.approval_models import ApprovalInstance, ApprovalProcess, ApprovalStatus
from guanxi.workflow.tests.approval_helpers import Org, approve, deal, make_process, step

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def org():
    return Org()


def step_data(index, kind="manager", **extra):
    data = {
        f"steps-{index}-name": extra.pop("name", ""),
        f"steps-{index}-kind": kind,
        f"steps-{index}-mode": extra.pop("mode", "any"),
        f"steps-{index}-skip_requester": "on",
        f"steps-{index}-ORDER": str(extra.pop("order", index + 1)),
    }
    data.update({f"steps-{index}-{key}": value for key, value in extra.items()})
    return data


def test_an_administrator_defines_a_process_with_ordered_steps(org, client_for):
    client = client_for(org.admin)
    chooser = client.get(reverse("web:approval_process_create"))
    assert chooser.status_code == 200
    form = client.get(reverse("web:approval_process_create") + "?entity=opportunity")
    assert form.status_code == 200
    assert 'data-testid="step-form-0"' in form.content.decode()
    data = {
        "entity": "opportunity",
        "name": "大额赢单审批",
        "trigger": "opportunity.win",
        "conditions": json.dumps(
            {"match": "all", "rules": [{"field": "amount", "op": "gt", "value": "500000"}]}
        ),
        "governed_fields": ["amount", "stage"],
        "stuck_after_days": "3",
        "is_active": "on",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        **step_data(0, "manager"),
    }
    more = client.post(reverse("web:approval_process_create"), {**data, "add_step": "1"})
    assert 'data-testid="step-form-1"' in more.content.decode()
    assert ApprovalProcess.objects.count() == 0
    data.update({"steps-TOTAL_FORMS": "2"})
    # The role step is numbered first: steps run in the order of their numbers.
    data.update(step_data(0, "manager", order=2))
    data.update(step_data(1, "role", role=str(org.director_role.pk), order=1, name="总监审批"))
    saved = client.post(reverse("web:approval_process_create"), data)
    assert saved.status_code == 302
    process = ApprovalProcess.objects.get()
    assert [s["approver"]["kind"] for s in process.current_version.steps] == ["role", "manager"]
    assert process.current_version.steps[0]["name"] == "总监审批"
    listing = client.get(reverse("web:approval_process_list"))
    assert "大额赢单审批" in listing.content.decode()


def test_a_step_without_its_user_is_refused_on_the_page(org, client_for):
    data = {
        "entity": "opportunity",
        "name": "x",
        "trigger": "submit",
        "stuck_after_days": "3",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        **step_data(0, "user"),
    }
    response = client_for(org.admin).post(reverse("web:approval_process_create"), data)
    assert response.status_code == 400
    assert "Step 1: Choose an active user as the approver." in response.content.decode()
    assert ApprovalProcess.objects.count() == 0


def test_submit_from_the_record_page_and_decide_from_the_inbox(org, client_for):
    make_process(org, name="折扣审批")
    record = deal(org.rep)
    rep = client_for(org.rep)
    detail = rep.get(reverse("web:opportunity_detail", args=[record.pk])).content.decode()
    assert 'data-testid="submit-for-approval"' in detail
    submit_url = reverse("web:approval_submit", args=["opportunity", record.pk])
    assert "wang.manager" in rep.get(submit_url).content.decode()
    response = rep.post(submit_url, {"comment": "客户要求九折"})
    instance = ApprovalInstance.objects.get()
    assert response["Location"] == reverse("web:approval_detail", args=[instance.pk])
    detail = rep.get(reverse("web:opportunity_detail", args=[record.pk])).content.decode()
    assert f'data-testid="record-approval-{instance.pk}"' in detail
    assert 'data-testid="submit-for-approval"' not in detail

    manager = client_for(org.manager)
    badge = manager.get(reverse("web:approval_inbox_count")).content.decode()
    assert 'data-testid="approval-count">1<' in badge
    inbox = manager.get(reverse("web:approval_inbox")).content.decode()
    assert "折扣审批" in inbox
    reject = manager.post(reverse("web:approval_decide", args=[instance.pk, "reject"]), {})
    assert reject.status_code == 400
    assert "Say why you reject it." in reject.content.decode()
    done = manager.post(
        reverse("web:approval_decide", args=[instance.pk, "approve"]), {"next": "inbox"}
    )
    assert done["Location"] == reverse("web:approval_inbox")
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED
    assert manager.get(reverse("web:approval_inbox_count")).content == b""
    timeline = rep.get(reverse("web:opportunity_detail", args=[record.pk]) + "?tab=timeline")
    assert "Submitted for approval: 折扣审批" in timeline.content.decode()
    history = rep.get(reverse("web:opportunity_detail", args=[record.pk]) + "?tab=history")
    assert "客户要求九折" in history.content.decode()


def test_withdraw_and_delegate_from_the_page(org, client_for):
    process = make_process(org)
    instance = services.approval_submit(
        actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
    )
    manager = client_for(org.manager)
    delegated = manager.post(
        reverse("web:approval_decide", args=[instance.pk, "delegate"]), {"delegate": org.vp.pk}
    )
    assert delegated.status_code == 302
    assert instance.tasks.filter(assignee=org.vp, decision="pending").count() == 1
    page = client_for(org.vp).get(reverse("web:approval_detail", args=[instance.pk]))
    assert "on behalf of wang.manager" in page.content.decode()
    client_for(org.rep).post(reverse("web:approval_decide", args=[instance.pk, "withdraw"]))
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.WITHDRAWN


def test_standing_delegation_screen(org, client_for):
    client = client_for(org.manager)
    response = client.post(
        reverse("web:approval_delegations"),
        {"delegate": org.vp.pk, "starts_on": "2026-12-01", "ends_on": "2026-12-31"},
    )
    assert response.status_code == 302
    page = client.get(reverse("web:approval_delegations")).content.decode()
    assert "qian.vp" in page
    bad = client.post(
        reverse("web:approval_delegations"),
        {"delegate": org.vp.pk, "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
    )
    assert bad.status_code == 400
    assert "The end cannot be before the start." in bad.content.decode()


def test_the_monitor_shows_where_each_waits_overdue_and_stuck(org, client_for):
    process = make_process(org, steps=[step("manager", due_hours=2), step("manager_of_manager")])
    monday = datetime.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI)
    with time_machine.travel(monday, tick=False):
        late = services.approval_submit(
            actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
        )
        stuck = services.approval_submit(
            actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
        )
    with time_machine.travel(monday + datetime.timedelta(hours=5), tick=False):
        fresh = services.approval_submit(
            actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
        )
        org.director.is_active = False
        org.director.save()
        approve(org.manager, stuck)
        client = client_for(org.admin)
        response = client.get(reverse("web:approval_monitor"))
    html = response.content.decode()
    rows = {row.instance.pk: row for row in response.context["rows"]}
    assert rows[late.pk].overdue is True
    assert rows[late.pk].business_hours == 4.0  # 09–12 and 13–14
    assert rows[stuck.pk].stuck is True
    assert rows[fresh.pk].overdue is False and rows[fresh.pk].stuck is False
    assert f'data-testid="monitor-row-{late.pk}" class="table-danger"' in html
    assert f'data-testid="monitor-row-{stuck.pk}" class="table-warning"' in html


def test_inbox_and_monitor_keep_their_query_counts(org, client_for):
    process = make_process(org, steps=[step("manager"), step("manager_of_manager")])

    def submit_some(n):
        for _ in range(n):
            services.approval_submit(
                actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
            )

    submit_some(2)
    manager, admin = client_for(org.manager), client_for(org.admin)
    manager.get(reverse("web:approval_inbox"))
    admin.get(reverse("web:approval_monitor"))
    with CaptureQueriesContext(connection) as inbox_few:
        manager.get(reverse("web:approval_inbox"))
    with CaptureQueriesContext(connection) as monitor_few:
        admin.get(reverse("web:approval_monitor"))
    submit_some(5)
    with CaptureQueriesContext(connection) as inbox_many:
        manager.get(reverse("web:approval_inbox"))
    with CaptureQueriesContext(connection) as monitor_many:
        response = admin.get(reverse("web:approval_monitor"))
    assert len(response.context["rows"]) == 7
    assert len(inbox_many.captured_queries) == len(inbox_few.captured_queries)
    assert len(monitor_many.captured_queries) == len(monitor_few.captured_queries)


def test_approvers_get_an_email_in_their_language(
    org, smtp_server, django_capture_on_commit_callbacks
):
    org.manager.language = "zh-hans"
    org.manager.save()
    process = make_process(org, name="大额赢单审批")
    record = deal(org.rep)
    with django_capture_on_commit_callbacks(execute=True):
        instance = services.approval_submit(
            actor=org.rep, entity_name="opportunity", record=record, process=process
        )
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["to"] == ["wang.manager@example.com"]
    assert str(message["email"]["Subject"]).strip().startswith("待审批：大额赢单审批")
    body = message["email"].get_content()
    assert f"/approvals/{instance.pk}/" in body
    with django_capture_on_commit_callbacks(execute=True):
        approve(org.manager, instance)
    assert len(smtp_server.messages) == 2
    assert smtp_server.messages[1]["to"] == ["li.rep@example.com"]
    assert "Approved" in smtp_server.messages[1]["email"]["Subject"]


def test_pages_in_chinese(org, client_for):
    process = make_process(org, name="大额赢单审批")
    instance = services.approval_submit(
        actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
    )
    org.manager.language = "zh-hans"
    org.manager.save()
    client = client_for(org.manager)
    headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    inbox = client.get(reverse("web:approval_inbox"), **headers).content.decode()
    assert "我的审批" in inbox
    assert "待我审批" in inbox
    page = client.get(reverse("web:approval_detail", args=[instance.pk]), **headers)
    html = page.content.decode()
    assert "同意" in html and "驳回" in html and "审批中" in html


def test_the_sidebar_links_the_inbox_with_its_badge(org, client_for):
    html = client_for(org.manager).get(reverse("web:approval_inbox")).content.decode()
    assert f'hx-get="{reverse("web:approval_inbox_count")}"' in html
    assert 'data-testid="menu-approval_monitor"' not in html
    admin_html = client_for(org.admin).get(reverse("web:approval_inbox")).content.decode()
    assert 'data-testid="menu-approval_monitor"' in admin_html


def test_automation_rules_can_start_an_approval(org):
    from guanxi.workflow.actions import ActionContext, get_action, validate_params

    process = make_process(org, name="规则发起")
    params, errors = validate_params("opportunity", "start_approval", {"process": process.pk})
    assert errors == []
    _params, wrong = validate_params("account", "start_approval", {"process": process.pk})
    assert wrong
    record = deal(org.rep)
    context = ActionContext(entity_name="opportunity", record=record, event={}, actor=org.rep)
    text = get_action("start_approval").run(context, params)
    instance = ApprovalInstance.objects.get()
    assert text == f"Approval #{instance.pk} started"
    assert instance.requester == org.rep


def test_editing_a_process_on_the_page_publishes_a_new_version(org, client_for):
    process = make_process(
        org, name="折扣审批", steps=[step("manager"), step("manager_of_manager")]
    )
    client = client_for(org.admin)
    url = reverse("web:approval_process_edit", args=[process.pk])
    page = client.get(url)
    formset = page.context["formset"]
    assert len(formset.forms) == 2
    data = {
        "entity": "opportunity",
        "name": "折扣审批",
        "trigger": "submit",
        "conditions": json.dumps({"match": "all", "rules": []}),
        "governed_fields": ["amount"],
        "stuck_after_days": "3",
        "is_active": "on",
        "steps-TOTAL_FORMS": "2",
        "steps-INITIAL_FORMS": "2",
        **step_data(0, "manager"),
        **step_data(1, "manager_of_manager"),
        "steps-1-DELETE": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    process.refresh_from_db()
    assert process.current_version.number == 2
    assert [s["approver"]["kind"] for s in process.current_version.steps] == ["manager"]
    versions = client.get(url).content.decode()
    assert 'data-testid="approval-versions"' in versions


def test_approving_from_the_inbox_swaps_the_row(org, client_for):
    process = make_process(org)
    instance = services.approval_submit(
        actor=org.rep, entity_name="opportunity", record=deal(org.rep), process=process
    )
    response = client_for(org.manager).post(
        reverse("web:approval_decide", args=[instance.pk, "approve"]),
        {"next": "inbox"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'data-testid="inbox-done-{instance.pk}"' in response.content.decode()
    assert "You approved it." in response.content.decode()
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED


def test_the_submit_page_offers_each_applicable_process_with_its_approvers(org, client_for):
    make_process(org, name="折扣审批")
    second = make_process(org, name="合同条款审批", steps=[step("user", user=org.vp.pk)])
    record = deal(org.rep)
    client = client_for(org.rep)
    url = reverse("web:approval_submit", args=["opportunity", record.pk])
    page = client.get(url).content.decode()
    assert "折扣审批" in page and "合同条款审批" in page and "qian.vp" in page
    client.post(url, {"process": second.pk})
    assert ApprovalInstance.objects.get().process == second
    page = client.get(url).content.decode()
    assert "合同条款审批" not in page
