"""Demo business calendars: the default China calendar with 2026 holidays, a team calendar."""

import datetime
import zoneinfo

import pytest

from guanxi.core.models import Team
from guanxi.workflow import calendar_demo
from guanxi.workflow.calendar import business_add, working_time_for
from guanxi.workflow.calendar_models import BusinessCalendar, CalendarDay

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_demo_calendars_are_created_once_and_used():
    team = Team.objects.create(name=calendar_demo.SUCCESS_TEAM)
    assert calendar_demo.create() == {"calendars": 2}
    assert calendar_demo.create() == {"calendars": 0}
    china = BusinessCalendar.objects.get(is_default=True)
    assert (china.name_zh, china.name_en) == ("工作日历（中国）", "China working calendar")
    assert CalendarDay.objects.get(calendar=china, date="2026-02-17").name == "春节"
    assert CalendarDay.objects.filter(calendar=china).count() == 39
    start = datetime.datetime(2026, 9, 30, 16, tzinfo=SHANGHAI)
    assert business_add(start, minutes=240).astimezone(SHANGHAI) == datetime.datetime(
        2026, 10, 8, 11, tzinfo=SHANGHAI
    )
    # The customer success team also works Saturday mornings (but not on National Day).
    success = working_time_for(team=team)
    assert success.calendar_id != china.pk
    friday = datetime.datetime(2026, 11, 6, 17, tzinfo=SHANGHAI)
    assert business_add(friday, minutes=120, working=success).astimezone(
        SHANGHAI
    ) == datetime.datetime(2026, 11, 7, 10, tzinfo=SHANGHAI)
