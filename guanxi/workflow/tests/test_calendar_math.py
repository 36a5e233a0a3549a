"""Business time over configured calendars: holidays, adjusted Saturdays, teams, time zones."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.models import Team
from guanxi.core.tests.factories import UserFactory
from guanxi.workflow import calendar
from guanxi.workflow.calendar import (
    business_add,
    business_minutes_between,
    is_working_time,
    next_working_moment,
    working_time_for,
)
from guanxi.workflow.calendar_days import DayEntry, parse_pasted
from guanxi.workflow.calendar_models import BusinessCalendar, CalendarDay
from guanxi.workflow.calendar_services import (
    calendar_days_save,
    calendar_load_holidays,
    calendar_save,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = datetime.UTC
ALWAYS = {key: [["00:00", "24:00"]] for key in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

pytestmark = pytest.mark.django_db


def at(*parts, zone=SHANGHAI):
    return datetime.datetime(*parts, tzinfo=zone)


def china(admin_user, **values):
    """Return a saved default calendar with the bundled 2026 holidays."""
    found = calendar_save(
        actor=admin_user,
        calendar=BusinessCalendar(),
        values={"name_zh": "工作日历（中国）", "time_zone": "Asia/Shanghai", **values},
    )
    calendar_load_holidays(actor=admin_user, calendar=found, year=2026)
    return found


def test_national_day_week_is_skipped(admin_user):
    china(admin_user)
    # Wednesday 30 September 16:00 + 4 h: 2 h that day, 1–7 October off, 2 h on the 8th.
    due = business_add(at(2026, 9, 30, 16), minutes=240)
    assert due.astimezone(SHANGHAI) == at(2026, 10, 8, 11)
    assert business_minutes_between(at(2026, 9, 30, 16), at(2026, 10, 8, 11)) == 240


def test_adjusted_working_saturday_counts_with_normal_hours_and_lunch(admin_user):
    china(admin_user)
    # Friday 9 October 17:00 + 2 h: 1 h on Friday, then Saturday the 10th is worked (调休).
    due = business_add(at(2026, 10, 9, 17), minutes=120)
    assert due.astimezone(SHANGHAI) == at(2026, 10, 10, 10)
    # Spring Festival: only Saturday 14 February (8 h) is worked between the 13th and 24th.
    assert business_minutes_between(at(2026, 2, 13, 18), at(2026, 2, 24, 9)) == 480
    assert business_add(at(2026, 2, 14, 11, 30), minutes=60).astimezone(SHANGHAI) == at(
        2026, 2, 14, 13, 30
    )


def test_moments_inside_and_outside_working_time(admin_user):
    china(admin_user)
    assert is_working_time(at(2026, 10, 8, 9)) is True
    assert is_working_time(at(2026, 10, 8, 12, 30)) is False
    assert is_working_time(at(2026, 10, 1, 10)) is False
    assert is_working_time(at(2026, 10, 10, 10)) is True
    assert next_working_moment(at(2026, 10, 1, 10)) == at(2026, 10, 8, 9)
    assert next_working_moment(at(2026, 10, 8, 12, 30)) == at(2026, 10, 8, 13)
    assert next_working_moment(at(2026, 10, 8, 10, 15)) == at(2026, 10, 8, 10, 15)


def test_pasted_multi_day_holiday_and_a_short_working_day(admin_user):
    found = calendar_save(
        actor=admin_user, calendar=BusinessCalendar(), values={"name_zh": "北京办公室"}
    )
    entries, errors = parse_pasted(
        "2026-12-07 ~ 2026-12-09 休 公司年会\n2026-12-12 班 09:00-12:00 年会调休"
    )
    assert errors == []
    calendar_days_save(actor=admin_user, calendar=found, entries=entries)
    working = working_time_for()
    # Friday 4 December 17:00 + 2 h: 1 h Friday, Monday–Wednesday off, 1 h Thursday the 10th.
    assert business_add(at(2026, 12, 4, 17), minutes=120, working=working) == at(2026, 12, 10, 10)
    # Friday 11 December 17:00 + 4 h: 1 h Friday, 3 h on the short Saturday, none on Monday.
    assert business_add(at(2026, 12, 11, 17), minutes=240, working=working) == at(2026, 12, 12, 12)
    assert business_add(at(2026, 12, 11, 17), minutes=241, working=working) == at(
        2026, 12, 14, 9, 1
    )


def test_team_calendar_then_the_users_teams_then_the_default(admin_user):
    default = china(admin_user)
    support = Team.objects.create(name="7×24 支持")
    sales = Team.objects.create(name="华东销售")
    always = calendar_save(
        actor=admin_user,
        calendar=BusinessCalendar(),
        values={"name_zh": "全天候", "weekly_hours": ALWAYS},
        teams=[support],
    )
    engineer = UserFactory(username="engineer")
    support.members.add(engineer)
    rep = UserFactory(username="rep.li")
    sales.members.add(rep)

    assert working_time_for(team=support).calendar_id == always.pk
    assert working_time_for(team=support.pk).calendar_id == always.pk
    assert working_time_for(user=engineer).calendar_id == always.pk
    assert working_time_for(user=engineer.pk).calendar_id == always.pk
    assert working_time_for(team=sales, user=engineer).calendar_id == always.pk
    assert working_time_for(user=rep).calendar_id == default.pk
    assert working_time_for().calendar_id == default.pk
    # On National Day the support team still works round the clock.
    national_day = at(2026, 10, 1, 22)
    assert business_add(national_day, minutes=120, working=working_time_for(team=support)) == (
        at(2026, 10, 2, 0)
    )
    assert business_add(national_day, minutes=120) == at(2026, 10, 8, 11)


def test_a_team_moves_to_its_new_calendar(admin_user):
    china(admin_user)
    team = Team.objects.create(name="客服一组")
    first = calendar_save(
        actor=admin_user, calendar=BusinessCalendar(), values={"name_zh": "甲"}, teams=[team]
    )
    second = calendar_save(
        actor=admin_user, calendar=BusinessCalendar(), values={"name_zh": "乙"}, teams=[team]
    )
    assert working_time_for(team=team).calendar_id == second.pk
    assert list(first.teams.all()) == []


def test_without_any_calendar_the_built_in_default_applies():
    working = working_time_for(team=1, user=None)
    assert working.calendar_id is None
    assert working.weekly[0] == calendar.DEFAULT_HOURS
    assert working.exceptions == {}


def test_berlin_calendar_counts_real_hours_across_the_end_of_summer_time(admin_user):
    china(admin_user)
    berlin = calendar_save(
        actor=admin_user,
        calendar=BusinessCalendar(),
        values={
            "name_zh": "柏林办事处",
            "name_en": "Berlin office",
            "time_zone": "Europe/Berlin",
            "weekly_hours": {
                key: [["09:00", "17:00"]] for key in ("mon", "tue", "wed", "thu", "fri")
            },
        },
    )
    working = calendar.working_time_of(berlin.pk)
    # Friday 23 October 16:00 in Berlin (22:00 in Shanghai) + 2 h → Monday 10:00 Berlin,
    # which is 09:00 UTC once summer time ended on Sunday the 25th.
    due = business_add(at(2026, 10, 23, 22), minutes=120, working=working)
    assert due == datetime.datetime(2026, 10, 26, 9, tzinfo=UTC)
    assert due.astimezone(BERLIN) == at(2026, 10, 26, 10, zone=BERLIN)
    # Chinese holidays are not Berlin's: 1 October is a working Thursday there.
    assert is_working_time(at(2026, 10, 1, 10, zone=BERLIN), working) is True
    always = calendar_save(
        actor=admin_user,
        calendar=BusinessCalendar(),
        values={"name_zh": "柏林全天候", "time_zone": "Europe/Berlin", "weekly_hours": ALWAYS},
    )
    round_the_clock = calendar.working_time_of(always.pk)
    # The night the clocks go back has 25 hours.
    assert (
        business_minutes_between(
            at(2026, 10, 24, 12, zone=BERLIN),
            at(2026, 10, 25, 12, zone=BERLIN),
            working=round_the_clock,
        )
        == 25 * 60
    )


def test_saving_a_calendar_is_seen_by_the_next_question(admin_user):
    found = china(admin_user)
    assert business_add(at(2026, 12, 2, 17), minutes=120) == at(2026, 12, 3, 10)
    calendar_save(
        actor=admin_user,
        calendar=found,
        values={"weekly_hours": {"wed": [["09:00", "20:00"]], "thu": [["09:00", "20:00"]]}},
    )
    assert business_add(at(2026, 12, 2, 17), minutes=120) == at(2026, 12, 2, 19)


def test_a_month_of_holidays_costs_a_bounded_number_of_queries(admin_user):
    found = china(admin_user)
    team = Team.objects.create(name="华南销售")
    calendar_save(actor=admin_user, calendar=found, values={}, teams=[team])
    december = [
        DayEntry(date=datetime.date(2026, 12, day), kind="holiday", name="停工")
        for day in range(1, 32)
    ]
    calendar_days_save(actor=admin_user, calendar=found, entries=december)
    assert CalendarDay.objects.filter(calendar=found).count() == 39 + 31

    with CaptureQueriesContext(connection) as cold:
        due = business_add(at(2026, 11, 30, 17), minutes=120, working=working_time_for(team=team))
    assert due == at(2027, 1, 1, 10)
    assert len(cold.captured_queries) <= 3, [query["sql"] for query in cold.captured_queries]
    with CaptureQueriesContext(connection) as warm:
        business_add(at(2026, 11, 30, 17), minutes=120, working=working_time_for(team=team))
    assert len(warm.captured_queries) == 0


def test_each_change_emits_one_event_after_commit(
    admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []
    monkeypatch.setattr(
        "guanxi.core.events._subscribers",
        [("business_calendar.*", lambda event: seen.append((event.name, event.payload["id"])))],
    )
    with django_capture_on_commit_callbacks(execute=True):
        found = china(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_save(actor=admin_user, calendar=found, values={"name_en": "China"})
    assert seen == [
        ("business_calendar.created", found.pk),
        ("business_calendar.updated", found.pk),  # the bundled holidays
        ("business_calendar.updated", found.pk),
    ]
