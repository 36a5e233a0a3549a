"""In a real Chromium: a rep opens the public pool from the sidebar and claims customers."""

import pytest
from playwright.sync_api import expect

from guanxi.customers.models import Account
from guanxi.customers.tests.pool_helpers import PoolFactory, pool_account, rep_with_pool
from guanxi.web.tests.conftest import browser, new_page, page  # noqa: F401  (fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_a_rep_claims_customers_from_the_public_pool(page, live_server):  # noqa: F811
    pool = PoolFactory(name="华东公海", days_without_follow_up=30)
    single = pool_account(pool, name="杭州云帆科技有限公司")
    first = pool_account(pool, name="北京明德教育咨询有限公司")
    second = pool_account(pool, name="深圳前海物流集团")
    rep = rep_with_pool(pool, "zhang.wei", cap=10)

    log_in(page, live_server, "zhang.wei")
    page.get_by_test_id("menu-pool").click()
    expect(page.get_by_test_id("pool-count")).to_contain_text("3 customers")
    expect(page.get_by_test_id("bulk-claim")).to_be_disabled()

    page.get_by_test_id(f"claim-{single.pk}").click()
    expect(page.get_by_test_id("record-title")).to_have_text("杭州云帆科技有限公司")
    expect(page.locator(".alert-success")).to_contain_text("is yours now")

    page.get_by_test_id("menu-pool").click()
    page.get_by_test_id(f"pool-row-{first.pk}").locator(".select-row").check()
    page.get_by_test_id(f"pool-row-{second.pk}").locator(".select-row").check()
    page.get_by_test_id("bulk-claim").click()
    expect(page.locator(".alert-success")).to_contain_text("2 customers are yours now")
    expect(page.get_by_test_id("empty-pool")).to_be_visible()
    assert Account.objects.filter(owner=rep).count() == 3
