"""End-to-end: a reminder fires, the bell's count updates by itself, the user reads it."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guanxi.activities.reminders import reminders_send_due
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.core.models import Notification, NotificationPreference
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_the_bell_counts_a_fired_reminder_and_the_menu_marks_it_read(
    new_page, live_server, settings
):
    settings.GUANXI_NOTIFICATION_POLL_SECONDS = 1
    user = UserFactory(username="zhang.wei", language="zh-hans", time_zone="Asia/Shanghai")
    grant(user, "activity", scope="own")
    starts = timezone.now() + datetime.timedelta(minutes=10)
    activity = ActivityFactory(
        owner=user, subject="给张伟打电话", starts_at=starts, remind_before=15
    )
    page = new_page("zh-CN")
    log_in(page, live_server, "zhang.wei")
    badge = page.get_by_test_id("bell-count")
    expect(badge).to_have_attribute("data-count", "0")

    assert reminders_send_due().reminded == 1

    expect(badge).to_have_text("1")  # the page polled without a reload
    page.get_by_test_id("bell").click()
    menu = page.get_by_test_id("notification-menu")
    local = timezone.localtime(starts, timezone=datetime.timezone(datetime.timedelta(hours=8)))
    expect(menu).to_contain_text(f"提醒：给张伟打电话（{local:%H:%M}）")
    expect(menu).to_contain_text("提醒")
    notification = Notification.objects.get(recipient=user)
    page.get_by_test_id(f"menu-read-{notification.pk}").click()

    expect(badge).to_have_attribute("data-count", "0")
    expect(page.get_by_test_id(f"menu-read-{notification.pk}")).to_have_count(0)
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert notification.url == f"/activities/{activity.pk}/"


def test_preferences_are_chosen_from_the_profile(new_page, live_server):
    UserFactory(username="li.na", language="en")
    page = new_page("en-US")
    log_in(page, live_server, "li.na")

    page.goto(f"{live_server.url}/profile/")
    page.get_by_test_id("notification-preferences-link").click()
    page.get_by_label("Reminders · By email").uncheck()
    page.get_by_label("Public pool warnings · By email").check()
    page.get_by_label("Daily digest email", exact=True).check()
    page.locator("#id_digest_hour").select_option("7")
    page.get_by_test_id("save").click()

    expect(page.locator(".alert-success")).to_contain_text(
        "Your notification preferences were saved."
    )
    expect(page.get_by_label("Reminders · By email")).not_to_be_checked()
    preference = NotificationPreference.objects.get(user__username="li.na")
    assert preference.channel("reminder") == {"in_app": True, "email": False}
    assert preference.channel("pool") == {"in_app": True, "email": True}
    assert (preference.digest_enabled, preference.digest_hour) == (True, 7)


def test_the_notification_list_filters_and_marks_read(new_page, live_server):
    from guanxi.core.services import notify

    user = UserFactory(username="wang.fang", language="en")
    notify(recipient=user, title="Call the bank at 10:00", category="reminder")
    notify(recipient=user, title="Customer back to the pool", category="pool")
    page = new_page("en-US")
    log_in(page, live_server, "wang.fang")

    page.goto(f"{live_server.url}/notifications/")
    page.locator("#filter-category").select_option("pool")
    listing = page.get_by_test_id("notification-list")
    expect(listing).to_contain_text("Customer back to the pool")
    expect(listing).not_to_contain_text("Call the bank")
    pool = Notification.objects.get(category="pool")
    page.get_by_test_id(f"read-{pool.pk}").click()
    expect(page.get_by_test_id(f"read-{pool.pk}")).to_have_count(0)
    expect(page.get_by_test_id("bell-count")).to_have_attribute("data-count", "1")
    page.get_by_test_id("state-unread").click()
    expect(listing).to_contain_text("No notifications.")
