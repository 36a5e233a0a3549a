"""End-to-end: drag a meeting to another time in the week view and find it moved."""

import datetime
import zoneinfo

import pytest
from playwright.sync_api import expect

from guanxi.activities.models import Activity
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_drag_a_meeting_to_another_slot_in_the_week_view(new_page, live_server):  # noqa: F811
    user = UserFactory(username="li.na", time_zone="Asia/Shanghai")
    grant(user, "activity", scope="own")
    monday = datetime.date(2026, 11, 23)
    wednesday = monday + datetime.timedelta(days=2)
    meeting = ActivityFactory(
        owner=user,
        kind="meeting",
        subject="Quarterly review with 华信科技",
        starts_at=datetime.datetime.combine(monday, datetime.time(10), tzinfo=SHANGHAI),
        ends_at=datetime.datetime.combine(monday, datetime.time(11, 30), tzinfo=SHANGHAI),
    )
    page = new_page("en-US")
    log_in(page, live_server, "li.na")

    page.goto(f"{live_server.url}/calendar/?view=week&date={wednesday.isoformat()}")
    event = page.get_by_test_id(f"event-{meeting.pk}")
    expect(event).to_contain_text("Quarterly review")
    event.drag_to(page.get_by_test_id(f"slot-{wednesday.isoformat()}-14:00"))

    expect(page.get_by_test_id("calendar-message")).to_contain_text("moved to 2026-11-25 14:00")
    moved = page.get_by_test_id(f"event-{meeting.pk}")
    expect(moved).to_contain_text("14:00")
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime.datetime(2026, 11, 25, 14, tzinfo=SHANGHAI)
    assert meeting.ends_at == datetime.datetime(2026, 11, 25, 15, 30, tzinfo=SHANGHAI)
    assert meeting.version == 2
    assert Activity.objects.count() == 1
    page.screenshot(path="/tmp/calendar-week.png", full_page=True)
