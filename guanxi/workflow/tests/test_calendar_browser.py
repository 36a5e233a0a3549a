"""A business calendar edited in the browser: the hours grid, China's holidays, "Try it"."""

import pytest
from playwright.sync_api import expect

from guanxi.core.tests.factories import UserFactory
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in
from guanxi.workflow.calendar_models import BusinessCalendar, CalendarDay

pytestmark = pytest.mark.browser


def test_admin_edits_the_hours_loads_holidays_and_tries_a_due_moment(
    new_page,  # noqa: F811
    live_server,
):
    UserFactory(username="admin.wu", is_superuser=True, is_staff=True)
    calendar = BusinessCalendar.objects.create(
        name_zh="上海总部", name_en="Shanghai HQ", time_zone="Asia/Shanghai"
    )
    page = new_page("en-US")
    log_in(page, live_server, "admin.wu")
    page.goto(f"{live_server.url}/settings/business-calendars/")
    page.get_by_role("link", name="Shanghai HQ").click()
    page.get_by_test_id("edit-calendar").click()

    grid = page.get_by_test_id("hours-grid")
    saturday = grid.locator('[data-intervals="sat"]')
    expect(saturday.locator("[data-interval]")).to_have_count(0)
    page.get_by_test_id("add-sat").click()
    expect(saturday.locator("[data-interval]")).to_have_count(1)
    saturday.locator("[name=sat-start]").fill("13:00")
    saturday.locator("[name=sat-end]").fill("12:30")
    friday = grid.locator('[data-intervals="fri"]')
    friday.locator("[data-interval]").nth(1).get_by_role("button", name="Remove").click()
    expect(friday.locator("[data-interval]")).to_have_count(1)
    page.get_by_test_id("add-sun").click()  # left blank: dropped
    page.get_by_test_id("save").click()

    # Backwards: refused with the reason, nothing stored, the grid as it was typed.
    expect(page.get_by_test_id("hours-errors")).to_have_text(
        "Saturday: an interval must start before it ends (13:00–12:30)."
    )
    assert BusinessCalendar.objects.get(pk=calendar.pk).weekly_hours.get("sat") in (None, [])
    saturday = page.get_by_test_id("hours-grid").locator('[data-intervals="sat"]')
    expect(saturday.locator("[name=sat-end]")).to_have_value("12:30")
    expect(page.locator('[data-intervals="fri"] [data-interval]')).to_have_count(1)
    saturday.locator("[name=sat-start]").fill("09:00")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(f"{live_server.url}/settings/business-calendars/{calendar.pk}/")
    summary = page.get_by_test_id("calendar-summary")
    expect(summary).to_contain_text("09:00–12:30")
    calendar.refresh_from_db()
    assert calendar.weekly_hours["sat"] == [["09:00", "12:30"]]
    assert calendar.weekly_hours["fri"] == [["09:00", "12:00"]]
    assert calendar.weekly_hours["thu"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert not calendar.weekly_hours.get("sun")

    # China's 2026 public holidays, then the "Try it" box around National Day.
    page.get_by_test_id("load-holidays-2026").click()
    national_day = page.get_by_test_id("day-2026-10-01")
    expect(national_day).to_contain_text("National Day")
    expect(national_day).to_contain_text("Holiday")
    assert (
        CalendarDay.objects.filter(
            calendar=calendar, date__range=("2026-10-01", "2026-10-07"), kind="holiday"
        ).count()
        == 7
    )
    assert CalendarDay.objects.get(calendar=calendar, date="2026-10-10").kind == "workday"

    page.locator("#id_try-start").fill("2026-09-30T17:00")
    page.locator("#id_try-hours").fill("2")
    url_before = page.url
    page.get_by_test_id("try-submit").click()
    # Wednesday 17:00–18:00 is one hour; 1–7 October are off (Saturday the 3rd too, though
    # Saturdays now work); the second hour is Thursday the 8th, 09:00–10:00.
    expect(page.get_by_test_id("try-due")).to_contain_text("2026-10-08 10:00")
    expect(page.get_by_test_id("try-due")).to_contain_text("Thursday")
    assert page.url == url_before  # swapped in by HTMX, not a page load
    expect(page.get_by_test_id("calendar-days")).to_be_visible()
