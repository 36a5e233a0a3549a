"""Settings → Business calendars: list, form with the hours grid, days, holidays, try it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.models import AuditEntry, Team
from guanxi.workflow.calendar import working_time_for
from guanxi.workflow.calendar_models import BusinessCalendar, CalendarDay
from guanxi.workflow.calendar_services import calendar_load_holidays, calendar_save

pytestmark = pytest.mark.django_db

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def grid(**days):
    """Return the POST data of the hours grid: {"mon": [("09:00", "12:00")]} → lists."""
    data = {}
    for key, intervals in days.items():
        data[f"{key}-start"] = [start for start, _end in intervals]
        data[f"{key}-end"] = [end for _start, end in intervals]
    return data


def office_hours():
    return grid(**{key: [("09:00", "12:00"), ("13:00", "18:00")] for key in WEEKDAYS})


@pytest.fixture
def china(admin_user):
    found = calendar_save(
        actor=admin_user,
        calendar=BusinessCalendar(),
        values={"name_zh": "工作日历（中国）", "name_en": "China working calendar"},
    )
    calendar_load_holidays(actor=admin_user, calendar=found, year=2026)
    return found


def test_creating_a_calendar_with_lunch_break_and_a_team(admin_client):
    team = Team.objects.create(name="上海客服")
    response = admin_client.post(
        "/settings/business-calendars/new/",
        {
            "name_zh": "上海客服日历",
            "name_en": "Shanghai service",
            "time_zone": "Asia/Shanghai",
            "teams": [team.pk],
            **office_hours(),
            "sat-start": ["09:00", ""],
            "sat-end": ["12:00", ""],
        },
    )
    assert response.status_code == 302
    saved = BusinessCalendar.objects.get()
    assert response["Location"] == f"/settings/business-calendars/{saved.pk}/"
    assert saved.is_default is True  # the first calendar is the default
    assert saved.weekly_hours["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert saved.weekly_hours["sat"] == [["09:00", "12:00"]]
    assert saved.weekly_hours["sun"] == []
    assert list(saved.teams.all()) == [team]
    assert working_time_for(team=team).calendar_id == saved.pk
    assert AuditEntry.objects.filter(entity="business_calendar", object_id=saved.pk).count() == 1


def test_overlapping_and_backwards_intervals_are_refused_in_english(admin_client):
    response = admin_client.post(
        "/settings/business-calendars/new/",
        {
            "name_zh": "错误日历",
            "time_zone": "Asia/Shanghai",
            **grid(mon=[("09:00", "12:00"), ("11:00", "14:00")], tue=[("18:00", "09:00")]),
            "wed-start": ["9.30"],
            "wed-end": ["12:00"],
        },
    )
    assert response.status_code == 400
    errors = [str(error) for error in response.context["grid_errors"]]
    assert errors == [
        "Monday: the intervals 09:00–12:00 and 11:00–14:00 overlap.",
        "Tuesday: an interval must start before it ends (18:00–09:00).",
        "Wednesday: “9.30” is not a time; write it as 09:00.",
    ]
    assert BusinessCalendar.objects.count() == 0
    # What was typed stays in the grid to be corrected.
    assert 'name="mon-start" value="11:00"' in response.content.decode()


def test_validation_messages_in_chinese(admin_client, admin_user):
    admin_user.language = "zh-hans"
    admin_user.save()
    response = admin_client.post(
        "/settings/business-calendars/new/",
        {
            "name_zh": "错误日历",
            "time_zone": "Asia/Shanghai",
            **grid(mon=[("09:00", "12:00"), ("11:00", "14:00")], tue=[("18:00", "09:00")]),
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert [str(error) for error in response.context["grid_errors"]] == [
        "星期一：时段 09:00–12:00 与 11:00–14:00 重叠。",
        "星期二：时段的开始时间须早于结束时间（18:00–09:00）。",
    ]
    empty = admin_client.post(
        "/settings/business-calendars/new/",
        {"name_zh": "空日历", "time_zone": "Asia/Shanghai"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert [str(error) for error in empty.context["grid_errors"]] == [
        "工作日历至少要有一个工作日的工作时间。"
    ]


def test_the_default_calendar_stays_default_and_another_can_take_over(admin_client, china):
    other = BusinessCalendar.objects.create(name_zh="柏林", time_zone="Europe/Berlin")
    page = admin_client.get("/settings/business-calendars/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "工作日历（中国）" not in content  # English names in English
    assert "China working calendar" in content
    response = admin_client.post(f"/settings/business-calendars/{other.pk}/default/")
    assert response.status_code == 302
    assert list(BusinessCalendar.objects.filter(is_default=True)) == [other]
    refused = admin_client.post(f"/settings/business-calendars/{other.pk}/delete/")
    assert refused.status_code == 302
    assert BusinessCalendar.objects.filter(pk=other.pk).exists()
    deleted = admin_client.post(f"/settings/business-calendars/{china.pk}/delete/")
    assert deleted.status_code == 302
    assert not BusinessCalendar.objects.filter(pk=china.pk).exists()
    assert CalendarDay.objects.count() == 0


def test_the_list_reads_a_fixed_number_of_queries(admin_client, china):
    for number in range(5):
        calendar_save(
            actor=china.created_by,
            calendar=BusinessCalendar(),
            values={"name_zh": f"团队日历 {number}"},
            teams=[Team.objects.create(name=f"团队 {number}")],
        )
    admin_client.get("/settings/business-calendars/")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/settings/business-calendars/")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="business-calendar-') == 6
    counted = len(queries.captured_queries)
    Team.objects.create(name="多一个")
    calendar_save(
        actor=china.created_by,
        calendar=BusinessCalendar(),
        values={"name_zh": "再一个"},
        teams=[Team.objects.get(name="多一个")],
    )
    with CaptureQueriesContext(connection) as more:
        admin_client.get("/settings/business-calendars/")
    assert len(more.captured_queries) == counted


def test_days_page_groups_the_year_by_month(admin_client, china):
    response = admin_client.get(f"/settings/business-calendars/{china.pk}/?year=2026")
    assert response.status_code == 200
    months = response.context["months"]
    assert [month["label"] for month in months] == [
        "January",
        "February",
        "April",
        "May",
        "June",
        "September",
        "October",
    ]
    assert response.context["day_count"] == 39
    content = response.content.decode()
    assert 'data-testid="day-2026-02-14"' in content
    empty = admin_client.get(f"/settings/business-calendars/{china.pk}/?year=2031")
    assert 'data-testid="no-days"' in empty.content.decode()


def test_adding_a_range_pasting_lines_and_deleting_a_day(admin_client, china):
    response = admin_client.post(
        f"/settings/business-calendars/{china.pk}/days/add/",
        {"start": "2026-12-24", "end": "2026-12-26", "kind": "holiday", "name": "年终休假"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?year=2026")
    assert CalendarDay.objects.filter(calendar=china, name="年终休假").count() == 3
    pasted = admin_client.post(
        f"/settings/business-calendars/{china.pk}/days/paste/",
        {"lines": "2026-12-31 休 跨年\n2027-01-02 班 09:00-12:00 补班"},
    )
    assert pasted.status_code == 302
    saturday = CalendarDay.objects.get(calendar=china, date="2027-01-02")
    assert (saturday.kind, saturday.hours, saturday.name) == (
        "workday",
        [["09:00", "12:00"]],
        "补班",
    )
    day = CalendarDay.objects.get(calendar=china, date="2026-12-25")
    deleted = admin_client.post(f"/settings/business-calendars/{china.pk}/days/{day.pk}/delete/")
    assert deleted.status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()


def test_bad_range_and_bad_pasted_lines_write_nothing(admin_client, china):
    before = CalendarDay.objects.count()
    response = admin_client.post(
        f"/settings/business-calendars/{china.pk}/days/add/",
        {"start": "2026-12-26", "end": "2026-12-24", "kind": "holiday"},
    )
    assert response.status_code == 400
    assert response.context["range_form"].errors == {
        "end": ["The last day cannot be before the first."]
    }
    pasted = admin_client.post(
        f"/settings/business-calendars/{china.pk}/days/paste/",
        {"lines": "2026-12-31 休 跨年\n明天放假\n2026-02-30 休"},
    )
    assert pasted.status_code == 400
    assert pasted.context["paste_form"].errors["lines"] == [
        "Line 2: “明天放假” does not start with a date such as 2026-10-01.",
        "Line 3: “2026-02-30 休” does not start with a date such as 2026-10-01.",
    ]
    assert CalendarDay.objects.count() == before


def test_loading_the_bundled_holidays_of_2026(admin_client):
    empty = BusinessCalendar.objects.create(name_zh="新日历", is_default=True)
    page = admin_client.get(f"/settings/business-calendars/{empty.pk}/")
    assert 'data-testid="load-holidays-2026"' in page.content.decode()
    response = admin_client.post(
        f"/settings/business-calendars/{empty.pk}/days/holidays/", {"year": "2026"}
    )
    assert response.status_code == 302
    days = {str(day.date): day.kind for day in CalendarDay.objects.filter(calendar=empty)}
    assert len(days) == 39
    assert days["2026-10-01"] == "holiday"
    assert days["2026-09-20"] == "workday"
    again = admin_client.post(
        f"/settings/business-calendars/{empty.pk}/days/holidays/", {"year": "2026"}
    )
    assert again.status_code == 302
    assert CalendarDay.objects.filter(calendar=empty).count() == 39
    refused = admin_client.post(
        f"/settings/business-calendars/{empty.pk}/days/holidays/", {"year": "2019"}
    )
    assert refused.status_code == 400


def test_try_it_shows_the_due_moment(admin_client, china):
    url = f"/settings/business-calendars/{china.pk}/"
    response = admin_client.get(url, {"try-start": "2026-09-30T16:00", "try-hours": "4"})
    assert response.status_code == 200
    due = response.context["result"]["due"]
    assert due.strftime("%Y-%m-%d %H:%M") == "2026-10-08 11:00"
    partial = admin_client.get(
        url, {"try-start": "2026-09-30T16:00", "try-hours": "4"}, HTTP_HX_REQUEST="true"
    )
    assert partial.templates[0].name == "workflow/calendar/partials/try.html"
    assert "2026-10-08 11:00" in partial.content.decode()
    bad = admin_client.get(url, {"try-start": "next week", "try-hours": "0"})
    assert set(bad.context["try_form"].errors) == {"start", "hours"}


def test_only_administrators_see_the_screens(client_for, user, china):
    client = client_for(user)
    assert client.get("/settings/business-calendars/").status_code == 403
    assert client.post(f"/settings/business-calendars/{china.pk}/default/").status_code == 403
    response = client.post(
        f"/settings/business-calendars/{china.pk}/days/add/",
        {"start": "2026-12-24", "kind": "holiday"},
    )
    assert response.status_code == 403
    assert CalendarDay.objects.filter(date="2026-12-24").count() == 0


def test_edit_form_names_each_teams_current_calendar_and_keeps_the_default(
    admin_client, admin_user, china
):
    team = Team.objects.create(name="华东渠道组")
    calendar_save(actor=admin_user, calendar=china, values={}, teams=[team])
    other = calendar_save(actor=admin_user, calendar=BusinessCalendar(), values={"name_zh": "乙"})
    page = admin_client.get(f"/settings/business-calendars/{other.pk}/edit/")
    assert page.status_code == 200
    assert "华东渠道组 (now: China working calendar)" in page.content.decode()
    own = admin_client.get(f"/settings/business-calendars/{china.pk}/edit/")
    assert own.context["form"].fields["is_default"].disabled is True
    # Unticking the default on its own form changes nothing: there is always one default.
    response = admin_client.post(
        f"/settings/business-calendars/{china.pk}/edit/",
        {"name_zh": "工作日历（中国）", "time_zone": "Asia/Shanghai", **office_hours()},
    )
    assert response.status_code == 302
    china.refresh_from_db()
    assert china.is_default is True
    assert list(china.teams.all()) == []


def test_settings_menu_links_to_business_calendars(admin_client):
    page = admin_client.get("/settings/business-calendars/")
    assert 'href="/settings/business-calendars/"' in page.content.decode()
    assert "No business calendars yet" in page.content.decode()


def test_calendar_page_in_chinese_with_a_fixed_number_of_queries(admin_client, admin_user, china):
    admin_user.language = "zh-hans"
    admin_user.save()
    admin_client.get(f"/settings/business-calendars/{china.pk}/?year=2026")
    with CaptureQueriesContext(connection) as full_year:
        page = admin_client.get(f"/settings/business-calendars/{china.pk}/?year=2026")
    content = page.content.decode()
    for text in (
        "节假日与调休上班日",
        "工作日历（中国）",
        "调休上班",
        "节假日（休息）",
        "添加 2026 年中国法定节假日",
    ):
        assert text in content
    calendar_days_pasted = CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=china, date=f"2027-0{month}-01", name="测试") for month in (1, 2)]
    )
    assert len(calendar_days_pasted) == 2
    with CaptureQueriesContext(connection) as short_year:
        admin_client.get(f"/settings/business-calendars/{china.pk}/?year=2027")
    assert len(full_year.captured_queries) == len(short_year.captured_queries)


def test_deleting_a_whole_year_keeps_the_other_years(admin_client, china):
    CalendarDay.objects.create(calendar=china, date="2027-01-01", name="元旦")
    page = admin_client.get(f"/settings/business-calendars/{china.pk}/?year=2026")
    assert "Delete all 39 days of 2026" in page.content.decode()
    response = admin_client.post(
        f"/settings/business-calendars/{china.pk}/days/delete-year/", {"year": "2026"}
    )
    assert response.status_code == 302
    assert [str(day.date) for day in CalendarDay.objects.filter(calendar=china)] == ["2027-01-01"]
    assert AuditEntry.objects.filter(entity="business_calendar", object_id=china.pk).count() == 3
