"""The demo's automation rules pass the editor's validation and do what their names say."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.test import Client

from guanxi.activities.models import Activity
from guanxi.api.auth import token_create
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.workflow import automation_demo
from guanxi.workflow.automation_models import AutomationRun

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_a_new_customer_gets_a_call_back_task_due_the_next_working_day(
    django_capture_on_commit_callbacks,
):
    admin = UserFactory(username="wangjianguo", is_superuser=True)
    assert len(automation_demo.create(admin)) == 3
    assert automation_demo.create(admin) == []  # a second run adds nothing
    rep = UserFactory(username="li.na")
    grant(rep, "account", scope="own")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    # Friday 2026-12-04 16:00 + 8 business hours: 2 h on Friday, 3 h on Monday morning,
    # lunch skipped, 3 h more: Monday 16:00.
    friday = datetime.datetime(2026, 12, 4, 16, tzinfo=SHANGHAI)
    with (
        time_machine.travel(friday, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api.post(
            "/api/v1/accounts",
            {"name": "宁波海天塑机有限公司", "phone": "057486001234"},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    account_id = response.json()["id"]

    task = Activity.objects.get(link_entity="account", link_id=account_id)
    assert task.subject == "回访新客户 宁波海天塑机有限公司"
    assert task.owner == rep
    assert task.due_at.astimezone(SHANGHAI) == datetime.datetime(2026, 12, 7, 16, tzinfo=SHANGHAI)
    run = AutomationRun.objects.get(rule__name=automation_demo.DEMO_RULES[0])
    assert (run.status, run.record_id) == ("done", account_id)
