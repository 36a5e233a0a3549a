"""Calendar: grid math, the screen, moving by drag, the calendar API and the private feed."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from guanxi.activities import calendar_grid as grid
from guanxi.activities import calendar_services
from guanxi.activities.models import Activity, CalendarFeed
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.api.auth import token_create
from guanxi.core.models import AuditEntry, Department, Team
from guanxi.core.tests.factories import UserFactory, grant

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """Return a moment in Shanghai time (the test time zone, which has no DST)."""
    return datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time(hour, minute), tzinfo=SHANGHAI
    )


def api_for(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


# --- grid math -------------------------------------------------------------------------


def test_a_month_grid_starts_on_the_first_weekday_and_spans_the_months_around():
    weeks = grid.month_weeks(datetime.date(2026, 11, 18), first=0)  # Monday first
    assert len(weeks) == 6
    assert weeks[0][0] == datetime.date(2026, 10, 26)
    assert weeks[-1][-1] == datetime.date(2026, 12, 6)
    assert all(len(week) == 7 for week in weeks)
    assert all(week[0].weekday() == 0 for week in weeks)


def test_a_month_grid_across_the_new_year_with_sunday_first():
    weeks = grid.month_weeks(datetime.date(2026, 12, 31), first=6)  # Sunday first
    assert weeks[0][0] == datetime.date(2026, 11, 29)
    assert weeks[-1] == [datetime.date(2026, 12, 27) + datetime.timedelta(days=n) for n in range(7)]
    assert weeks[-1][-1] == datetime.date(2027, 1, 2)
    january = grid.month_weeks(datetime.date(2027, 1, 1), first=0)
    assert january[0][0] == datetime.date(2026, 12, 28)
    assert january[-1][-1] == datetime.date(2027, 1, 31)
    assert len(january) == 5


def test_february_that_fits_four_weeks_exactly():
    weeks = grid.month_weeks(datetime.date(2027, 2, 10), first=0)
    assert len(weeks) == 4
    assert weeks[0][0] == datetime.date(2027, 2, 1)
    assert weeks[-1][-1] == datetime.date(2027, 2, 28)


def test_moving_by_periods_and_the_first_weekday_of_each_language():
    assert grid.shift("month", datetime.date(2026, 12, 31), 1) == datetime.date(2027, 1, 1)
    assert grid.shift("month", datetime.date(2026, 1, 31), -1) == datetime.date(2025, 12, 1)
    assert grid.shift("week", datetime.date(2026, 12, 30), 1) == datetime.date(2027, 1, 6)
    assert grid.shift("day", datetime.date(2026, 12, 31), 1) == datetime.date(2027, 1, 1)
    with translation.override("zh-hans"):
        assert grid.first_weekday() == 0
        assert grid.days_of("week", datetime.date(2027, 1, 1), grid.first_weekday())[0] == (
            datetime.date(2026, 12, 28)
        )
    with translation.override("en"):
        assert grid.first_weekday() == 6
        assert grid.days_of("week", datetime.date(2027, 1, 1), grid.first_weekday())[0] == (
            datetime.date(2026, 12, 27)
        )


def test_bounds_are_local_midnights():
    start, end = grid.bounds([datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)], SHANGHAI)
    assert start == at("2026-11-01", 0)
    assert end == at("2026-12-01", 0)
    assert start.astimezone(datetime.UTC).hour == 16  # 31 Oct, 16:00 UTC


def test_a_move_keeps_the_duration_and_the_gap_to_the_due_time():
    starts, ends, due = grid.moved(
        starts_at=at("2026-11-23", 9, 30),
        ends_at=at("2026-11-23", 11),
        due_at=at("2026-11-23", 12),
        new_start=at("2026-11-25", 14),
    )
    assert (starts, ends, due) == (
        at("2026-11-25", 14),
        at("2026-11-25", 15, 30),
        at("2026-11-25", 16, 30),
    )
    task = grid.moved(
        starts_at=None, ends_at=None, due_at=at("2026-11-23", 18), new_start=at("2026-12-01", 10)
    )
    assert task == (None, None, at("2026-12-01", 10))


def test_overlapping_events_share_the_width_and_multi_day_ones_sit_in_the_all_day_row():
    timezone.activate(SHANGHAI)
    try:
        first = Activity(
            pk=1, subject="A", starts_at=at("2026-11-23", 9), ends_at=at("2026-11-23", 10)
        )
        second = Activity(
            pk=2, subject="B", starts_at=at("2026-11-23", 9, 30), ends_at=at("2026-11-23", 11)
        )
        third = Activity(
            pk=3, subject="C", starts_at=at("2026-11-23", 11), ends_at=at("2026-11-23", 12)
        )
        fair = Activity(
            pk=4, subject="Fair", starts_at=at("2026-11-22", 9), ends_at=at("2026-11-24", 17)
        )
        days = grid.place(
            [fair, first, second, third], [datetime.date(2026, 11, 23), datetime.date(2026, 11, 24)]
        )
    finally:
        timezone.deactivate()
    monday = days[0]
    lanes = {placed.activity.subject: (placed.lane, placed.lanes) for placed in monday.timed}
    assert lanes == {"A": (0, 2), "B": (1, 2), "C": (0, 1)}
    placed_a = next(placed for placed in monday.timed if placed.activity.subject == "A")
    assert (placed_a.top, placed_a.height) == (9 * 2 * grid.SLOT_HEIGHT, 2 * grid.SLOT_HEIGHT - 2)
    assert [placed.activity.subject for placed in monday.all_day] == ["Fair"]
    assert monday.all_day[0].continues_before and monday.all_day[0].continues_after
    assert days[1].all_day[0].continues_before and not days[1].all_day[0].continues_after


# --- the screen --------------------------------------------------------------------------


@pytest.fixture
def rep(db):
    user = UserFactory(username="rep", time_zone="Asia/Shanghai")
    grant(user, "activity", scope="own")
    grant(user, "account", scope="own")
    return user


@pytest.mark.django_db
def test_the_month_view_shows_my_own_and_participating_activities_not_others(rep, client_for):
    other = UserFactory(username="other")
    mine = ActivityFactory(
        owner=rep, kind="meeting", subject="方案评审会", starts_at=at("2026-11-18", 14)
    )
    invited = ActivityFactory(
        owner=other, kind="visit", subject="Visit Hangzhou", starts_at=at("2026-11-19", 10)
    )
    invited.participant_users.add(rep)
    ActivityFactory(owner=other, subject="Not mine", starts_at=at("2026-11-18", 9))
    task = ActivityFactory(
        owner=rep,
        kind="task",
        subject="Send the quote",
        starts_at=None,
        due_at=at("2026-11-20", 18),
    )

    response = client_for(rep).get("/calendar/?view=month&date=2026-11-18")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="calendar-month"' in content
    assert "方案评审会" in content and "Visit Hangzhou" in content and "Send the quote" in content
    assert "Not mine" not in content
    # English weeks start on Sunday: 1 November 2026 is one, the grid ends on 5 December.
    assert 'data-testid="day-2026-11-01"' in content
    assert 'data-testid="day-2026-10-31"' not in content
    assert 'data-testid="day-2026-12-05"' in content
    assert f'data-testid="event-{mine.pk}"' in content
    assert f'data-testid="event-{task.pk}"' in content
    assert "kind-meeting" in content


@pytest.mark.django_db
def test_the_week_view_in_chinese_starts_on_monday_and_offers_slots(rep, client_for):
    rep.language = "zh-hans"
    rep.save()
    ActivityFactory(
        owner=rep,
        kind="meeting",
        subject="周会",
        starts_at=at("2026-11-25", 10),
        ends_at=at("2026-11-25", 11),
    )
    response = client_for(rep).get(
        "/calendar/?view=week&date=2026-11-25", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="slot-2026-11-23-00:00"' in content  # Monday
    assert 'data-testid="slot-2026-11-29-23:30"' in content  # Sunday
    assert 'data-testid="slot-2026-11-22-00:00"' not in content
    assert "周会" in content
    assert 'lang="zh-hans"' in content


@pytest.mark.django_db
def test_htmx_navigation_answers_the_calendar_part_only(rep, client_for):
    response = client_for(rep).get(
        "/calendar/?view=day&date=2026-11-25", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calendar"
    )
    content = response.content.decode()
    assert 'data-testid="calendar-day"' in content
    assert "<html" not in content
    assert 'data-testid="slot-2026-11-25-09:00"' in content
    assert "date=2026-11-26" in content and "date=2026-11-24" in content


@pytest.mark.django_db
def test_a_colleague_calendar_follows_the_data_scope(client_for):
    sales = Department.objects.create(name="华东销售部")
    manager = UserFactory(username="manager", department=sales)
    grant(manager, "activity", scope="department")
    colleague = UserFactory(username="colleague", department=sales)
    stranger = UserFactory(username="stranger")
    ActivityFactory(owner=colleague, subject="Colleague call", starts_at=at("2026-11-18", 9))
    ActivityFactory(owner=stranger, subject="Stranger call", starts_at=at("2026-11-18", 9))
    team = Team.objects.create(name="Key accounts")
    team.members.add(manager, colleague)
    client = client_for(manager)

    mine = client.get("/calendar/?date=2026-11-18").content.decode()
    assert "Colleague call" not in mine
    assert f'value="user:{colleague.pk}"' in mine
    assert f'value="user:{stranger.pk}"' not in mine
    theirs = client.get(f"/calendar/?date=2026-11-18&whose=user:{colleague.pk}").content.decode()
    assert "Colleague call" in theirs
    outside = client.get(f"/calendar/?date=2026-11-18&whose=user:{stranger.pk}").content.decode()
    assert "Stranger call" not in outside
    department = client.get(
        f"/calendar/?date=2026-11-18&whose=department:{sales.pk}"
    ).content.decode()
    assert "Colleague call" in department and "Stranger call" not in department
    by_team = client.get(
        f"/calendar/?date=2026-11-18&whose=team:{team.pk}&kind=call"
    ).content.decode()
    assert "Colleague call" in by_team
    by_kind = client.get(
        f"/calendar/?date=2026-11-18&whose=team:{team.pk}&kind=visit"
    ).content.decode()
    assert "Colleague call" not in by_kind


@pytest.mark.django_db
def test_the_month_view_reads_activities_in_one_query_however_many(rep, client_for):
    client = client_for(rep)
    client.get("/calendar/?date=2026-11-18")  # warm the session and permission caches

    def count_activity_queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/calendar/?date=2026-11-18")
        assert response.status_code == 200
        return len(captured), [q["sql"] for q in captured if '"activities_activity"' in q["sql"]]

    ActivityFactory(owner=rep, starts_at=at("2026-11-03", 9))
    few_total, few = count_activity_queries()
    other = UserFactory(username="someone")
    for day in range(1, 29):
        ActivityFactory(owner=rep, starts_at=at(f"2026-11-{day:02d}", 10))
        meeting = ActivityFactory(
            owner=other, kind="meeting", starts_at=at(f"2026-11-{day:02d}", 15)
        )
        meeting.participant_users.add(rep)
    many_total, many = count_activity_queries()
    assert len(few) == len(many) == 1, many
    assert few_total == many_total


@pytest.mark.django_db
def test_a_drag_moves_the_meeting_keeping_its_length_with_history(rep, client_for):
    meeting = ActivityFactory(
        owner=rep,
        kind="meeting",
        subject="Demo",
        starts_at=at("2026-11-23", 9),
        ends_at=at("2026-11-23", 10, 30),
        remind_before=15,
    )
    response = client_for(rep).post(
        f"/calendar/activities/{meeting.pk}/move/",
        {"starts_at": "2026-11-25T14:00", "version": str(meeting.version)},
    )
    assert response.status_code == 200, response.content
    assert "moved to 2026-11-25 14:00" in response.json()["detail"]
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.ends_at) == (at("2026-11-25", 14), at("2026-11-25", 15, 30))
    assert meeting.occurs_at == at("2026-11-25", 14)
    assert meeting.remind_at == at("2026-11-25", 13, 45)
    assert meeting.version == 2
    entry = AuditEntry.objects.get(entity="activity", object_id=meeting.pk, action="update")
    assert set(entry.changes) >= {"starts_at", "ends_at"}


@pytest.mark.django_db
def test_a_drag_with_a_stale_version_or_without_edit_rights_changes_nothing(rep, client_for):
    meeting = ActivityFactory(owner=rep, kind="meeting", starts_at=at("2026-11-23", 9))
    stale = client_for(rep).post(
        f"/calendar/activities/{meeting.pk}/move/",
        {"starts_at": "2026-11-25T14:00", "version": "7"},
    )
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.json()["detail"]
    other = UserFactory(username="other")
    invited = ActivityFactory(owner=other, kind="meeting", starts_at=at("2026-11-23", 9))
    invited.participant_users.add(rep)
    refused = client_for(rep).post(
        f"/calendar/activities/{invited.pk}/move/", {"starts_at": "2026-11-25T14:00"}
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "You may not change this activity."
    bad = client_for(rep).post(f"/calendar/activities/{meeting.pk}/move/", {"starts_at": "soon"})
    assert bad.status_code == 400
    meeting.refresh_from_db()
    invited.refresh_from_db()
    assert meeting.starts_at == at("2026-11-23", 9) and meeting.version == 1
    assert invited.starts_at == at("2026-11-23", 9)
    assert not AuditEntry.objects.filter(entity="activity", action="update").exists()


@pytest.mark.django_db
def test_moving_the_first_of_a_series_moves_only_that_occurrence(rep):
    first = ActivityFactory(
        owner=rep,
        kind="meeting",
        starts_at=at("2026-11-23", 9),
        ends_at=at("2026-11-23", 10),
        recurrence="weekly",
        recurrence_until=datetime.date(2026, 12, 14),
    )
    from guanxi.activities.services import schedule_series

    occurrences = schedule_series(rep, first)
    assert len(occurrences) == 3
    calendar_services.activity_reschedule(actor=rep, activity=first, starts_at=at("2026-11-24", 9))
    starts = sorted(Activity.objects.values_list("starts_at", flat=True))
    assert starts == [
        at("2026-11-24", 9),
        at("2026-11-30", 9),
        at("2026-12-07", 9),
        at("2026-12-14", 9),
    ]


# --- the API -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_calendar_api_returns_the_range_within_the_scope(rep):
    other = UserFactory(username="other")
    ActivityFactory(owner=rep, subject="In range", starts_at=at("2026-11-10", 9))
    ActivityFactory(owner=rep, subject="Too late", starts_at=at("2026-12-01", 0, 30))
    ActivityFactory(owner=other, subject="Someone else's", starts_at=at("2026-11-10", 9))
    client = api_for(rep)

    response = client.get("/api/v1/calendar?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [item["subject"] for item in body["items"]] == ["In range"]
    assert body["count"] == 1
    peek = client.get(f"/api/v1/calendar?start=2026-11-01&end=2026-11-30&owner={other.pk}")
    assert peek.json()["count"] == 0

    too_long = client.get("/api/v1/calendar?start=2026-01-01&end=2026-06-30")
    assert too_long.status_code == 400
    assert "at most 62 days" in too_long.json()["detail"]
    backwards = client.get("/api/v1/calendar?start=2026-11-30&end=2026-11-01")
    assert backwards.status_code == 400
    assert "end" in backwards.json()["errors"]
    garbage = client.get("/api/v1/calendar?start=yesterday&end=2026-11-01")
    assert garbage.status_code == 400 and "start" in garbage.json()["errors"]
    kind = client.get("/api/v1/calendar?start=2026-11-01&end=2026-11-30&kind=party")
    assert kind.status_code == 400


@pytest.mark.django_db
def test_a_manager_with_all_scope_reads_a_colleague_calendar_in_few_queries():
    boss = UserFactory(username="boss")
    grant(boss, "activity", scope="all")
    rep = UserFactory(username="rep")
    for day in range(1, 21):
        activity = ActivityFactory(owner=rep, starts_at=at(f"2026-11-{day:02d}", 9))
        activity.participant_users.add(boss)
    client = api_for(boss)
    client.get(f"/api/v1/calendar?start=2026-11-01&end=2026-11-30&owner={rep.pk}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/calendar?start=2026-11-01&end=2026-11-30&owner={rep.pk}")
    assert response.json()["count"] == 20
    activity_reads = [q for q in captured if 'FROM "activities_activity"' in q["sql"]]
    assert len(activity_reads) == 1
    assert len(captured) <= 10, [q["sql"] for q in captured]


@pytest.mark.django_db
def test_reschedule_through_the_api(rep):
    meeting = ActivityFactory(
        owner=rep, kind="meeting", starts_at=at("2026-11-23", 9), ends_at=at("2026-11-23", 10)
    )
    client = api_for(rep)
    response = client.post(
        f"/api/v1/activities/{meeting.pk}/reschedule",
        {"starts_at": "2026-11-24T15:00:00+08:00", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["ends_at"] == "2026-11-24T08:00:00Z"  # 16:00 in Shanghai
    assert response.json()["version"] == 2

    stale = client.post(
        f"/api/v1/activities/{meeting.pk}/reschedule",
        {"starts_at": "2026-11-26T15:00:00+08:00", "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
    backwards = client.post(
        f"/api/v1/activities/{meeting.pk}/reschedule",
        {"starts_at": "2026-11-26T15:00:00+08:00", "ends_at": "2026-11-26T14:00:00+08:00"},
        content_type="application/json",
    )
    assert backwards.status_code == 400
    assert "ends_at" in backwards.json()["errors"]
    meeting.refresh_from_db()
    assert meeting.starts_at == at("2026-11-24", 15) and meeting.version == 2

    task = ActivityFactory(owner=rep, kind="task", starts_at=None, due_at=at("2026-11-23", 18))
    moved = client.post(
        f"/api/v1/activities/{task.pk}/reschedule",
        {"due_at": "2026-11-27T18:00:00+08:00"},
        content_type="application/json",
    )
    assert moved.status_code == 200
    task.refresh_from_db()
    assert task.due_at == at("2026-11-27", 18) and task.starts_at is None

    others = ActivityFactory(owner=UserFactory(username="x"), starts_at=at("2026-11-23", 9))
    hidden = client.post(
        f"/api/v1/activities/{others.pk}/reschedule",
        {"starts_at": "2026-11-26T15:00:00+08:00"},
        content_type="application/json",
    )
    assert hidden.status_code == 404


@pytest.mark.django_db
def test_the_api_answers_in_chinese(rep):
    client = api_for(rep)
    response = client.get(
        "/api/v1/calendar?start=2026-01-01&end=2026-12-31", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"detail", "errors"}


# --- the private feed ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_feed_url_works_without_login_and_reset_revokes_it(rep):
    soon = timezone.now() + datetime.timedelta(days=3)
    meeting = ActivityFactory(
        owner=rep, kind="meeting", subject="季度回顾; Q4, review", starts_at=soon, location="上海"
    )
    ActivityFactory(
        owner=rep, subject="Long ago", starts_at=timezone.now() - datetime.timedelta(days=60)
    )
    ActivityFactory(owner=UserFactory(username="other"), subject="Not mine", starts_at=soon)
    client = api_for(rep)

    url = client.get("/api/v1/calendar/feed").json()["url"]
    assert url == client.get("/api/v1/calendar/feed").json()["url"]
    path = url.replace("http://testserver", "")
    assert path.startswith("/calendar/feed/") and path.endswith(".ics")

    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "max-age" in response["Cache-Control"]
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 1
    assert f"UID:activity-{meeting.pk}@" in text
    assert "DTSTART:" in text
    assert "SUMMARY:季度回顾\\; Q4\\, review" in text
    assert "Long ago" not in text and "Not mine" not in text
    assert CalendarFeed.objects.get(user=rep).last_fetched_at is not None
    unchanged = Client().get(path, HTTP_IF_NONE_MATCH=response["ETag"])
    assert unchanged.status_code == 304
    assert Client().head(path).status_code == 200

    new_url = client.post("/api/v1/calendar/feed/reset").json()["url"]
    assert new_url != url
    assert Client().get(path).status_code == 404
    assert Client().get(new_url.replace("http://testserver", "")).status_code == 200
    assert Client().get("/calendar/feed/not-a-real-key.ics").status_code == 404


@pytest.mark.django_db
def test_a_deactivated_user_feed_stops_and_the_feed_reads_in_one_query(rep):
    for day in range(1, 30):
        activity = ActivityFactory(
            owner=UserFactory(), starts_at=timezone.now() + datetime.timedelta(days=day)
        )
        activity.participant_users.add(rep)
    feed = calendar_services.feed_for(rep)
    client = Client()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/calendar/feed/{feed.token}.ics")
    assert response.content.decode().count("BEGIN:VEVENT") == 29
    assert len([q for q in captured if 'FROM "activities_activity"' in q["sql"]]) == 1
    rep.is_active = False
    rep.save()
    assert client.get(f"/calendar/feed/{feed.token}.ics").status_code == 404


@pytest.mark.django_db
def test_the_calendar_page_shows_and_resets_the_feed_link(rep, client_for):
    client = client_for(rep)
    shown = client.get("/calendar/subscribe/").content.decode()
    token = CalendarFeed.objects.get(user=rep).token
    assert f"/calendar/feed/{token}.ics" in shown
    reset = client.post("/calendar/subscribe/").content.decode()
    new_token = CalendarFeed.objects.get(user=rep).token
    assert new_token != token
    assert f"/calendar/feed/{new_token}.ics" in reset
    assert "the old link no longer works" in reset
    assert AuditEntry.objects.filter(entity="user", object_id=rep.pk).count() == 1


@pytest.mark.django_db
def test_the_sidebar_links_to_the_calendar(rep, client_for):
    content = client_for(rep).get("/my-day/").content.decode()
    assert 'data-testid="menu-calendar"' in content
    assert client_for(UserFactory(username="nobody")).get("/calendar/").status_code == 403
    assert Client().get("/calendar/").status_code == 302


@pytest.mark.django_db
def test_a_click_on_an_empty_slot_opens_a_new_activity_at_that_time(rep, client_for):
    client = client_for(rep)
    week = client.get("/calendar/?view=week&date=2026-11-25").content.decode()
    assert 'data-start="2026-11-25T09:30"' in week
    month = client.get("/calendar/?date=2026-11-25").content.decode()
    assert "starts_at=2026-11-25T09:00&amp;ends_at=2026-11-25T10:00" in month
    form = client.get(
        "/activities/new/?kind=meeting&starts_at=2026-11-25T09:30&ends_at=2026-11-25T10:30"
    ).content.decode()
    assert 'value="2026-11-25T09:30"' in form
    assert 'value="2026-11-25T10:30"' in form
