"""An automation rule built in the browser fires on a customer edit; runs show in the monitor."""

import pytest
from playwright.sync_api import expect

from guanxi.activities.models import Activity
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, GroupFactory
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in
from guanxi.workflow.models import AutomationRule, AutomationRun
from guanxi.workflow.tests.automation_fixtures import make_rule

pytestmark = pytest.mark.browser


def edit_city(page, live_server, account, city):
    page.goto(f"{live_server.url}/accounts/{account.pk}/edit/")
    page.locator("#id_city").fill(city)
    page.get_by_test_id("save").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/{account.pk}/")


def test_admin_builds_a_rule_that_fires_on_an_edit_and_retries_a_failed_run(
    new_page,  # noqa: F811
    live_server,
):
    admin = UserFactory(username="admin.wu", is_superuser=True, is_staff=True)
    rep = UserFactory(username="zhou.jie")
    grant(rep, "account", scope="own")
    assistant = UserFactory(username="chen.min", first_name="Min", last_name="Chen")
    account = AccountFactory(owner=rep, name="杭州云帆科技", city="上海")

    page = new_page("en-US")
    log_in(page, live_server, "admin.wu")
    page.goto(f"{live_server.url}/settings/")
    page.get_by_test_id("settings-menu").get_by_role("link", name="Automation rules").click()
    page.get_by_test_id("new-automation-rule").click()
    page.locator("#id_entity").select_option("account")
    page.get_by_test_id("continue").click()

    page.locator("#id_name").fill("Hangzhou follow-up")
    page.get_by_test_id("trigger").select_option("field_changed")
    params = page.get_by_test_id("trigger-params")
    params.locator("[name=trigger-field]").select_option("city")
    params.locator("[name=trigger-op]").select_option("changed_to")
    params.locator("[name=trigger-value]").fill("杭州")

    builder = page.locator("[data-conditions]")
    builder.get_by_role("button", name="Add condition", exact=True).click()
    row = builder.locator("[data-condition-row]").first
    row.locator("[data-condition-field]").select_option("account_type")
    row.locator("[data-condition-op]").select_option("eq")
    row.locator("[data-condition-value]").select_option("customer")

    page.locator("#new-action-type").select_option("create_task")
    page.get_by_test_id("add-action").click()
    action = page.locator(".automation-action").first
    action.locator("[name$=-subject]").fill("Visit {{ record.name }}")
    action.locator("[name$=-assignee]").select_option("user")
    action.locator("[name$=-user]").select_option(str(assistant.pk))
    action.locator("[name$=-offset]").fill("2")
    page.locator("#id_owner").select_option(str(admin.pk))
    page.locator("#id_name").fill("")
    page.get_by_test_id("save").click()

    # Without a name: refused with the reason, nothing stored, everything else kept.
    expect(page.get_by_test_id("error-name")).to_be_visible()
    assert not AutomationRule.objects.exists()
    expect(page.get_by_test_id("trigger-params").locator("[name=trigger-value]")).to_have_value(
        "杭州"
    )
    expect(page.locator("[data-condition-value]")).to_have_value("customer")
    expect(page.locator(".automation-action [name$=-subject]")).to_have_value(
        "Visit {{ record.name }}"
    )
    expect(page.locator(".automation-action [name$=-user]")).to_have_value(str(assistant.pk))
    page.locator("#id_name").fill("Hangzhou follow-up")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(f"{live_server.url}/settings/automation/")
    rule = AutomationRule.objects.get(name="Hangzhou follow-up")
    expect(page.get_by_test_id(f"automation-rule-{rule.pk}")).to_contain_text("Hangzhou follow-up")
    assert (rule.entity, rule.trigger, rule.trigger_params) == (
        "account",
        "field_changed",
        {"field": "city", "op": "changed_to", "value": "杭州"},
    )
    assert rule.conditions == {
        "match": "all",
        "rules": [{"field": "account_type", "op": "eq", "value": "customer"}],
    }
    [stored] = rule.actions
    assert stored["type"] == "create_task"
    assert stored["params"]["subject"] == "Visit {{ record.name }}"
    assert stored["params"]["user"] == assistant.pk

    # The rep moves the customer to Hangzhou: the rule fires in the same request (Huey is
    # immediate in tests, also in the live server's thread).
    rep_page = new_page("en-US")
    log_in(rep_page, live_server, "zhou.jie")
    edit_city(rep_page, live_server, account, "杭州")
    task = Activity.objects.get(subject="Visit 杭州云帆科技")
    assert (task.owner, task.kind, task.link_entity, task.link_id) == (
        assistant,
        "task",
        "account",
        account.pk,
    )

    page.goto(f"{live_server.url}/settings/automation/")
    page.get_by_test_id("automation-runs").click()
    run = AutomationRun.objects.get(rule=rule)
    assert run.status == "done"
    row = page.get_by_test_id(f"run-{run.pk}")
    expect(row).to_contain_text("Done")
    expect(page.get_by_test_id(f"rule-stats-{rule.pk}")).to_contain_text("Hangzhou follow-up")
    row.get_by_role("link").click()
    expect(page.get_by_test_id("run-status")).to_have_text("Done")
    expect(page.get_by_test_id("run-actions")).to_contain_text("Visit 杭州云帆科技")

    # The assistant leaves: the next run fails, and says why.
    assistant.is_active = False
    assistant.save()
    edit_city(rep_page, live_server, account, "宁波")
    edit_city(rep_page, live_server, account, "杭州")
    failed = AutomationRun.objects.exclude(pk=run.pk).get(rule=rule)
    assert failed.status == "failed"
    page.goto(f"{live_server.url}/settings/automation/runs/")
    page.get_by_test_id("run-filters").locator("[name=status]").select_option("failed")
    page.get_by_test_id("filter").click()
    failed_row = page.get_by_test_id(f"run-{failed.pk}")
    expect(failed_row).to_contain_text("Failed")
    expect(failed_row).to_contain_text("Nobody to give it to")
    expect(page.get_by_test_id(f"run-{run.pk}")).to_have_count(0)

    # Back at work: retried from the monitor, the run is done and the task is there.
    assistant.is_active = True
    assistant.save()
    failed_row.locator("input[name=run]").check()
    with page.expect_navigation():
        page.get_by_test_id("retry-selected").click()
    expect(page.locator("body")).to_contain_text("1 failed run will run again.")
    expect(page.get_by_test_id(f"run-{failed.pk}")).to_have_count(0)  # no longer failed
    failed.refresh_from_db()
    assert failed.status == "done"
    assert Activity.objects.filter(subject="Visit 杭州云帆科技", owner=assistant).count() == 2
    page.goto(f"{live_server.url}/settings/automation/runs/{failed.pk}/")
    expect(page.get_by_test_id("run-status")).to_have_text("Done")


def test_admin_reworks_the_actions_of_a_rule_and_tries_it_on_a_record_in_chinese(
    new_page,  # noqa: F811
    live_server,
):
    admin = UserFactory(username="admin.li", is_superuser=True, is_staff=True, language="zh-hans")
    group = GroupFactory(name="重点客户", entity="account", owner=admin)
    account = AccountFactory(owner=admin, name="苏州华信", city="苏州", phone="0512-1234")
    rule = make_rule(
        admin,
        name="苏州客户",
        conditions={"match": "all", "rules": [{"field": "city", "op": "eq", "value": "苏州"}]},
        actions=[{"type": "add_to_group", "params": {"group": group.pk}}],
    )
    page = new_page("zh-CN")
    log_in(page, live_server, "admin.li")
    page.goto(f"{live_server.url}/settings/automation/{rule.pk}/")
    expect(page.locator("[data-condition-row]")).to_have_count(1)
    expect(page.locator("[data-condition-value]")).to_have_value("苏州")
    expect(page.locator(".automation-action [name$=-group]")).to_have_value(str(group.pk))

    # The row moved last, then given another type: its parameter form replaces the old one
    # (HTMX) and the chosen position stays.
    first = page.locator(".automation-action").first
    first.locator("[name$=-position]").fill("3")
    first.locator("select[name$=-type]").select_option("update_fields")
    expect(first.locator("[name$=-group]")).to_have_count(0)
    expect(first.locator("[name$=-position]")).to_have_value("3")
    first.locator("[name$=-values]").fill('{"phone": "0512-66668888"}')
    # A new action comes next in line.
    page.locator("#new-action-type").select_option("add_to_group")
    page.get_by_test_id("add-action").click()
    expect(page.locator(".automation-action")).to_have_count(2)
    added = page.locator(".automation-action").nth(1)
    expect(added.locator("[name$=-position]")).to_have_value("2")
    added.locator("[name$=-group]").select_option(str(group.pk))
    page.get_by_test_id("save").click()

    expect(page).to_have_url(f"{live_server.url}/settings/automation/")
    rule.refresh_from_db()
    assert [(one["type"], one["params"]) for one in rule.actions] == [
        ("add_to_group", {"group": group.pk}),
        ("update_fields", {"values": {"phone": "0512-66668888"}}),
    ]

    page.goto(f"{live_server.url}/settings/automation/{rule.pk}/")
    page.get_by_test_id("dry-run-record").fill(str(account.pk))
    page.get_by_test_id("dry-run-go").click()
    result = page.get_by_test_id("dry-run-result")
    expect(result.get_by_test_id("dry-run-holds")).to_have_text("条件成立：动作会执行。")
    expect(result.locator("ol li")).to_have_count(2)
    expect(result).to_contain_text("没有做任何修改。")
    account.refresh_from_db()
    assert account.phone == "0512-1234"

    # Switched off from the list: the switch submits at once.
    page.goto(f"{live_server.url}/settings/automation/")
    with page.expect_navigation():
        page.get_by_test_id(f"toggle-{rule.pk}").click()
    expect(page.get_by_test_id(f"toggle-{rule.pk}")).not_to_be_checked()
    rule.refresh_from_db()
    assert rule.is_active is False
