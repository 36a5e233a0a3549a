"""API of business calendars: CRUD, days, bundled holidays, due moments, permissions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.api.auth import token_create
from guanxi.core.models import Team
from guanxi.workflow.calendar_models import BusinessCalendar, CalendarDay
from guanxi.workflow.calendar_services import calendar_load_holidays, calendar_save

pytestmark = pytest.mark.django_db

BASE = "/api/v1/business-calendars"


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


@pytest.fixture
def admin_headers(admin_user):
    return _auth(admin_user)


@pytest.fixture
def china(admin_user):
    found = calendar_save(
        actor=admin_user,
        calendar=BusinessCalendar(),
        values={"name_zh": "工作日历（中国）", "name_en": "China working calendar"},
    )
    calendar_load_holidays(actor=admin_user, calendar=found, year=2026)
    return found


def test_create_read_update_and_delete(client, admin_headers):
    team = Team.objects.create(name="柏林销售")
    created = client.post(
        BASE,
        {
            "name_zh": "柏林办事处",
            "name_en": "Berlin office",
            "time_zone": "Europe/Berlin",
            "weekly_hours": {"mon": [["09:00", "17:00"]], "fri": [["09:00", "15:00"]]},
            "teams": [team.pk],
        },
        content_type="application/json",
        **admin_headers,
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["weekly_hours"]["mon"] == [["09:00", "17:00"]]
    assert body["weekly_hours"]["sun"] == []
    assert (body["is_default"], body["teams"], body["days"], body["name"]) == (
        True,
        [team.pk],
        0,
        "Berlin office",
    )
    pk = body["id"]
    changed = client.patch(
        f"{BASE}/{pk}",
        {"weekly_hours": {"mon": [["08:00", "12:00"], ["12:30", "16:30"]]}, "teams": []},
        content_type="application/json",
        **admin_headers,
    )
    assert changed.status_code == 200
    assert changed.json()["weekly_hours"]["mon"] == [["08:00", "12:00"], ["12:30", "16:30"]]
    assert changed.json()["teams"] == []
    assert changed.json()["time_zone"] == "Europe/Berlin"
    assert client.get(f"{BASE}/{pk}", **admin_headers).json()["name_zh"] == "柏林办事处"
    assert client.delete(f"{BASE}/{pk}", **admin_headers).status_code == 204
    assert BusinessCalendar.objects.count() == 0


def test_bad_hours_answer_with_the_error_shape_and_write_nothing(client, admin_headers):
    response = client.post(
        BASE,
        {
            "name_zh": "",
            "time_zone": "Mars/Olympus",
            "weekly_hours": {"mon": [["09:00", "12:00"], ["11:30", "13:00"]], "xyz": []},
        },
        content_type="application/json",
        **admin_headers,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The data is not valid."
    assert body["errors"] == {
        "name_zh": ["Enter the calendar's Chinese name."],
        "time_zone": ["“Mars/Olympus” is not a time zone; use a name such as Asia/Shanghai."],
        "weekly_hours": [
            "Unknown weekdays: xyz; use mon, tue, wed, thu, fri, sat, sun.",
            "Monday: the intervals 09:00–12:00 and 11:30–13:00 overlap.",
        ],
    }
    unknown_team = client.post(
        BASE, {"name_zh": "甲", "teams": [999]}, content_type="application/json", **admin_headers
    )
    assert unknown_team.status_code == 400
    assert unknown_team.json()["errors"] == {"teams": ["Unknown teams: 999."]}
    assert BusinessCalendar.objects.count() == 0


def test_errors_in_chinese(client, admin_user, admin_headers):
    admin_user.language = "zh-hans"
    admin_user.save()
    response = client.post(
        BASE,
        {"name_zh": "甲", "weekly_hours": {"tue": [["18:00", "09:00"]]}},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        **admin_headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"]["weekly_hours"] == [
        "星期二：时段的开始时间须早于结束时间（18:00–09:00）。"
    ]


def test_days_nested_under_a_calendar(client, admin_headers, china):
    listed = client.get(f"{BASE}/{china.pk}/days?year=2026", **admin_headers).json()
    assert listed["count"] == 39
    assert listed["items"][0] == {
        "id": listed["items"][0]["id"],
        "date": "2026-01-01",
        "kind": "holiday",
        "name": "New Year's Day",
        "hours": [],
    }
    added = client.post(
        f"{BASE}/{china.pk}/days",
        {"start": "2026-12-30", "end": "2026-12-31", "kind": "holiday", "name": "年终盘点"},
        content_type="application/json",
        **admin_headers,
    )
    assert added.status_code == 201
    assert (added.json()["created"], added.json()["updated"]) == (2, 0)
    short = client.post(
        f"{BASE}/{china.pk}/days",
        {"start": "2026-10-10", "kind": "workday", "hours": [["09:00", "12:00"]]},
        content_type="application/json",
        **admin_headers,
    )
    assert (short.json()["created"], short.json()["updated"]) == (0, 1)
    assert short.json()["items"][0]["hours"] == [["09:00", "12:00"]]
    bad = client.post(
        f"{BASE}/{china.pk}/days",
        {"start": "2026-12-31", "end": "2026-12-01", "kind": "vacation"},
        content_type="application/json",
        **admin_headers,
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "end": ["The last day cannot be before the first."],
        "kind": ["Choose a holiday or an adjusted working day."],
    }
    day = CalendarDay.objects.get(calendar=china, date="2026-12-31")
    assert client.delete(f"{BASE}/{china.pk}/days/{day.pk}", **admin_headers).status_code == 204
    assert not CalendarDay.objects.filter(pk=day.pk).exists()


def test_loading_holidays_and_asking_when_due(client, admin_headers):
    created = client.post(
        BASE, {"name_zh": "新日历"}, content_type="application/json", **admin_headers
    ).json()
    pk = created["id"]
    assert client.get(f"{BASE}/holiday-years", **admin_headers).json() == {"years": [2026]}
    loaded = client.post(
        f"{BASE}/{pk}/load-holidays",
        {"year": 2026},
        content_type="application/json",
        **admin_headers,
    )
    assert loaded.json() == {"year": 2026, "created": 39, "updated": 0}
    missing = client.post(
        f"{BASE}/{pk}/load-holidays",
        {"year": 2031},
        content_type="application/json",
        **admin_headers,
    )
    assert missing.status_code == 400
    assert list(missing.json()["errors"]) == ["year"]
    due = client.get(
        f"{BASE}/{pk}/due", {"start": "2026-09-30T16:00:00", "hours": "4"}, **admin_headers
    ).json()
    assert due["due_local"] == "2026-10-08T11:00:00+08:00"
    assert due["due"] == "2026-10-08T03:00:00Z"
    refused = client.get(
        f"{BASE}/{pk}/due", {"start": "2026-09-30T16:00", "hours": "-1"}, **admin_headers
    )
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["hours"]


def test_a_user_reads_but_cannot_change_calendars(client, user, china):
    headers = _auth(user)
    assert client.get(BASE, **headers).json()["count"] == 1
    for response in (
        client.post(BASE, {"name_zh": "甲"}, content_type="application/json", **headers),
        client.patch(
            f"{BASE}/{china.pk}", {"name_zh": "乙"}, content_type="application/json", **headers
        ),
        client.delete(f"{BASE}/{china.pk}", **headers),
        client.post(
            f"{BASE}/{china.pk}/days",
            {"start": "2026-12-24", "kind": "holiday"},
            content_type="application/json",
            **headers,
        ),
        client.post(
            f"{BASE}/{china.pk}/load-holidays",
            {"year": 2026},
            content_type="application/json",
            **headers,
        ),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "You do not have permission to do this."
    china.refresh_from_db()
    assert (china.name_zh, BusinessCalendar.objects.count()) == ("工作日历（中国）", 1)
    assert CalendarDay.objects.filter(calendar=china).count() == 39
    assert client.get(BASE).status_code == 401


def test_the_default_calendar_cannot_be_deleted_while_others_exist(client, admin_headers, china):
    BusinessCalendar.objects.create(name_zh="另一个")
    response = client.delete(f"{BASE}/{china.pk}", **admin_headers)
    assert response.status_code == 409
    assert BusinessCalendar.objects.filter(pk=china.pk).exists()


def test_list_query_count_does_not_grow_with_calendars(client, admin_user, admin_headers, china):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(BASE, **admin_headers)
        assert response.status_code == 200
        return len(queries.captured_queries), response.json()["count"]

    count()  # the token's first use is recorded once
    first, calendars = count()
    for number in range(4):
        calendar_save(
            actor=admin_user,
            calendar=BusinessCalendar(),
            values={"name_zh": f"团队日历 {number}"},
            teams=[Team.objects.create(name=f"团队 {number}")],
        )
    again, more = count()
    assert (calendars, more) == (1, 5)
    # The token, the count, the page with day counts, the teams of the page.
    assert again == first == 4
