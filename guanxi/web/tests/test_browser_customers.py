"""End-to-end: a contact linked to a further customer, and the customer's 360° timeline."""

import pytest
from playwright.sync_api import expect

from guanxi.core import search
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import AccountContact
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_link_a_contact_to_a_further_customer_and_see_it_on_the_timeline(new_page, live_server):
    user = UserFactory(username="zhou.min", language="zh-hans")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    contact = ContactFactory(owner=user, name="刘洋", account=AccountFactory(owner=user))
    board = AccountFactory(owner=user, name="东方云帆物流有限公司")
    search.index_record("account", board)
    page = new_page("zh-CN")
    log_in(page, live_server, "zhou.min")

    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    page.get_by_test_id("tab-accounts").click()
    page.get_by_test_id("link-account").click()
    page.locator(".ts-control input").first.fill("东方云帆")
    page.locator(".ts-dropdown .option", has_text="东方云帆物流有限公司").click()
    page.locator("select[name=role]").select_option("influencer")
    page.locator("[name=title]").fill("顾问")
    page.get_by_test_id("save").click()

    rows = page.get_by_test_id("contact-accounts").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("东方云帆物流有限公司")
    expect(rows.nth(1)).to_contain_text("顾问")
    assert AccountContact.objects.get().account == board

    page.goto(f"{live_server.url}/accounts/{board.pk}/")
    page.get_by_test_id("tab-timeline").click()
    events = page.get_by_test_id("timeline").locator(".timeline-event")
    expect(events.first).to_contain_text("刘洋")
    page.get_by_test_id("timeline-kinds").get_by_text("联系人").click()
    expect(page.get_by_test_id("timeline").locator(".timeline-event")).to_have_count(1)
