"""The condition builder in a real browser: rows and groups become the stored tree."""

import pytest
from playwright.sync_api import expect

from guanxi.core.tests.factories import UserFactory
from guanxi.sales.models import LeadAssignmentRule
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_admin_builds_nested_conditions_and_gets_them_back(new_page, live_server):  # noqa: F811
    UserFactory(username="admin.li", is_superuser=True, is_staff=True, language="zh-hans")
    rep = UserFactory(username="zhou.jie")
    page = new_page("zh-CN")
    log_in(page, live_server, "admin.li")
    page.goto(f"{live_server.url}/settings/leads/rules/new/")

    page.locator("#id_name").fill("浙江官网线索")
    page.locator("#id_action").select_option("user")
    page.locator("#id_user").select_option(str(rep.pk), force=True)

    builder = page.locator("[data-conditions]")
    expect(builder.get_by_text("无条件：适用于所有记录。")).to_be_visible()
    builder.get_by_role("button", name="添加条件", exact=True).click()
    first = builder.locator("[data-condition-row]").nth(0)
    first.locator("[data-condition-field]").select_option("source")
    first.locator("[data-condition-op]").select_option("in")
    first.locator("[data-condition-value]").select_option(["website", "referral"])

    builder.get_by_role("button", name="添加条件组").click()
    group = builder.locator(".bg-light").first
    group.get_by_role("button", name="添加条件", exact=True).click()
    inner = group.locator("[data-condition-row]").first
    inner.locator("[data-condition-field]").select_option("province")
    inner.locator("[data-condition-op]").select_option("eq")
    inner.locator("[data-condition-value]").fill("浙江")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(f"{live_server.url}/settings/leads/rules/")
    rule = LeadAssignmentRule.objects.get(name="浙江官网线索")
    assert rule.conditions == {
        "match": "all",
        "rules": [
            {"field": "source", "op": "in", "value": ["referral", "website"]},
            {"match": "any", "rules": [{"field": "province", "op": "eq", "value": "浙江"}]},
        ],
    }

    page.goto(f"{live_server.url}/settings/leads/rules/{rule.pk}/")
    expect(page.locator("[data-condition-row]")).to_have_count(2)
    expect(page.locator("[data-condition-value]").nth(1)).to_have_value("浙江")
