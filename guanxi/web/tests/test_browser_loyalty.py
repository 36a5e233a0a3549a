"""End-to-end: the points tab of a customer, in a real Chromium."""

import os

import pytest
from playwright.sync_api import expect

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import MembershipLevel, PointsEntry
from guanxi.customers.tests.factories import AccountFactory
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_points_are_earned_and_an_overdraft_is_refused_on_the_points_tab(page, live_server):
    user = UserFactory(username="zhou.min")
    grant(user, "account", ["view", "edit"])
    MembershipLevel.objects.create(name="银卡会员", name_en="Silver", threshold=100)
    account = AccountFactory(owner=user, name="宁波海曙贸易有限公司")
    log_in(page, live_server, "zhou.min")

    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.get_by_test_id("tab-points").click()
    expect(page.get_by_test_id("points-balance")).to_have_text("0")

    page.get_by_test_id("points-points").fill("150")
    page.get_by_test_id("points-reason").fill("年度订货会")
    page.get_by_test_id("points-save").click()

    expect(page.get_by_test_id("points-balance")).to_have_text("150")
    expect(page.get_by_test_id("membership-level")).to_have_text("Silver")
    expect(page.get_by_test_id("points-ledger").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("points-ledger")).to_contain_text("年度订货会")

    page.get_by_test_id("points-kind").select_option("redeem")
    page.get_by_test_id("points-points").fill("500")
    page.get_by_test_id("points-reason").fill("兑换礼品")
    page.get_by_test_id("points-save").click()

    expect(page.get_by_test_id("error-points")).to_have_text(
        "Not enough points: the balance is 150, 500 were asked for."
    )
    expect(page.get_by_test_id("points-balance")).to_have_text("150")
    assert PointsEntry.objects.filter(account=account).count() == 1
    if os.environ.get("GUANXI_SCREENSHOTS"):
        page.screenshot(path=os.environ["GUANXI_SCREENSHOTS"] + "/points-tab.png", full_page=True)
