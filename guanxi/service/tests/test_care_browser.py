"""End-to-end: set up a birthday plan, run it, find the care in the calendar, complete it."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guanxi.core.tests.factories import UserFactory
from guanxi.customers.tests.factories import ContactFactory
from guanxi.service.models import CarePlan, CareTask
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_birthday_plan_from_settings_to_done_care(new_page, live_server):  # noqa: F811
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    occasion = timezone.localdate() + datetime.timedelta(days=2)
    contact = ContactFactory(name="张伟", owner=boss, birthday=occasion.replace(year=1990))
    page = new_page("en-US")
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/settings/care-plans/")
    page.get_by_test_id("new-care-plan").click()
    page.locator("#id_name").fill("Birthday greetings")
    page.locator("#id_yearly_date").select_option("contact:birthday")
    page.locator("#id_days_before").fill("3")
    page.locator("#id_subject").fill("Birthday of {{ contact.name }}")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("care-preview")).to_contain_text("张伟")
    plan = CarePlan.objects.get()
    assert (plan.audience, plan.date_field, plan.days_before) == ("contact", "birthday", 3)

    page.goto(f"{live_server.url}/settings/care-plans/")
    page.get_by_test_id("care-run").click()
    expect(page.locator(".alert-success")).to_contain_text("1 care tasks were created")
    care = CareTask.objects.get()

    page.goto(f"{live_server.url}/care/?date={occasion.isoformat()}")
    entry = page.get_by_test_id(f"care-{care.pk}")
    expect(entry).to_contain_text("张伟")
    entry.click()
    expect(page.get_by_test_id("care-occasion")).to_have_text(occasion.isoformat())
    page.get_by_test_id("care-complete").click()
    expect(page.get_by_test_id("care-status")).to_contain_text("Done")
    care.refresh_from_db()
    assert (care.status, care.done_on_time, care.contact) == ("done", True, contact)
    assert care.activity.status == "done"
    page.screenshot(path="/tmp/care-task.png", full_page=True)
