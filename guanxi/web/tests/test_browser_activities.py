"""End-to-end: log a call on a customer, plan a task, tick it off in "my day"."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guanxi.activities.models import Activity
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_log_a_call_on_a_customer_and_finish_a_task_in_my_day(new_page, live_server):
    user = UserFactory(username="zhang.wei", language="zh-hans")
    for entity in ("account", "contact", "activity"):
        grant(user, entity, scope="own")
    account = AccountFactory(owner=user, name="华信科技有限公司")
    task = ActivityFactory(
        owner=user,
        kind="task",
        subject="准备报价单",
        starts_at=None,
        due_at=timezone.now() - datetime.timedelta(days=1),
    )
    page = new_page("zh-CN")
    log_in(page, live_server, "zhang.wei")

    page.goto(f"{live_server.url}/accounts/{account.pk}/?tab=activities")
    page.get_by_test_id("log-call").click()
    expect(page.get_by_test_id("form-header")).to_contain_text("华信科技有限公司")
    page.locator("#id_subject").fill("电话回访：确认交期")
    page.locator("#id_outcome").select_option("reached")
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("record-title")).to_have_text("电话回访：确认交期")
    expect(page.get_by_test_id("activity-link")).to_contain_text("华信科技有限公司")
    call = Activity.objects.get(subject="电话回访：确认交期")
    assert (call.kind, call.status, call.account_id) == ("call", "done", account.pk)
    page.goto(f"{live_server.url}/accounts/{account.pk}/?tab=timeline")
    expect(page.locator(".timeline-event").first).to_contain_text("电话回访：确认交期")

    page.goto(f"{live_server.url}/my-day/")
    overdue = page.get_by_test_id("section-overdue")
    expect(overdue).to_contain_text("准备报价单")
    overdue.get_by_test_id(f"done-{task.pk}").click()
    expect(page.get_by_test_id("section-done")).to_contain_text("准备报价单")
    task.refresh_from_db()
    assert task.status == "done"
