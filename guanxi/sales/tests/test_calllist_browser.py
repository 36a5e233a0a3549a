"""In a real Chromium: build a call list from the contact list and work through two entries."""

import importlib
import re

import pytest
from django.apps import apps
from playwright.sync_api import expect

from guanxi.activities.models import Activity
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import ContactFactory
from guanxi.sales.models import CallList
from guanxi.web.tests.conftest import browser, new_page, page  # noqa: F401  (fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser

NAMES = ["张伟", "李娜", "王芳"]


def seed_outcomes():
    """Put back the outcome codes a new installation starts with.

    The migration seeds them, but a transactional test that ran before this one emptied
    the tables.
    """
    migration = importlib.import_module("guanxi.sales.migrations.0002_telesales_competitors")
    migration.seed_outcomes(apps, None)


def test_build_a_call_list_from_contacts_and_call_two_of_them(page, live_server):  # noqa: F811
    seed_outcomes()
    rep = UserFactory(username="tele.rep")
    for entity in ("contact", "calllist", "activity"):
        grant(rep, entity)
    contacts = [ContactFactory(name=name, owner=rep, role="purchaser") for name in NAMES]
    ContactFactory(name="赵磊", owner=rep, role="technical")

    log_in(page, live_server, "tele.rep")
    page.goto(f"{live_server.url}/contacts/?role=purchaser")
    rows = page.get_by_test_id("record-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    page.locator(".select-page").check()
    page.get_by_test_id("bulk-more").click()
    page.get_by_test_id("bulk-calllist").click()
    expect(page.get_by_test_id("bulk-count")).to_contain_text("3 records are selected.")
    page.locator("#id_name").fill("采购联系人首呼")
    page.get_by_test_id("create").click()
    expect(page.get_by_role("alert")).to_contain_text("built with 3 records")
    call_list = CallList.objects.get()
    assert call_list.filter_query == "role=purchaser"

    page.get_by_test_id("start-calling").click()
    expect(page.get_by_test_id("call-record-name")).to_have_text(NAMES[0])
    expect(page.get_by_test_id("dial-mobile")).to_have_attribute(
        "href", f"tel:{contacts[0].mobile_e164}"
    )
    page.wait_for_load_state("load")  # the shortcut keys listen once the page's script ran
    page.keyboard.press("1")  # connected, interested
    expect(page.locator('#outcome-form input[data-key="1"]')).to_be_checked()
    page.keyboard.press("n")
    expect(page.locator("#id_note")).to_be_focused()
    page.keyboard.type("要一份报价")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("alert")).to_contain_text("The call was logged.")
    expect(page.get_by_test_id("call-record-name")).to_have_text(NAMES[1])
    expect(page.get_by_test_id("call-activities")).to_contain_text("No activities yet.")

    page.wait_for_load_state("load")
    page.keyboard.press("4")  # no answer
    expect(page.locator('#outcome-form input[data-key="4"]')).to_be_checked()
    page.get_by_test_id("save-outcome").click()
    expect(page.get_by_test_id("call-record-name")).to_have_text(NAMES[2])
    expect(page.get_by_test_id("call-progress")).to_contain_text("2 open")

    calls = Activity.objects.filter(kind="call").order_by("pk")
    assert [(c.link_id, c.subject) for c in calls] == [
        (contacts[0].pk, "Call: Connected, interested"),
        (contacts[1].pk, "Call: No answer"),
    ]
    assert "要一份报价" in calls[0].description
    page.goto(f"{live_server.url}/call-lists/{call_list.pk}/?tab=entries")
    expect(page.get_by_test_id("calllist-entries")).to_contain_text("Done")
    expect(page).to_have_url(re.compile(r"tab=entries"))
