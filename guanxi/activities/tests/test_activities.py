"""Activities and tasks: linked to records, on timelines, my day, series, scope, API."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from guanxi.activities import queries, services
from guanxi.activities.models import Activity
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.api.auth import token_create
from guanxi.core import timeline
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    for entity in ("account", "contact", "activity"):
        grant(user, entity, scope="own")
    return user


def api_for(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def local(days: int, hour: int) -> datetime.datetime:
    moment = timezone.localtime() + datetime.timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def test_a_call_logged_on_a_contact_shows_on_the_contact_and_its_customer(
    rep, client_for, django_capture_on_commit_callbacks
):
    account = AccountFactory(owner=rep, name="华信科技")
    contact = ContactFactory(owner=rep, account=account, name="王芳")
    client = client_for(rep)

    form = client.get(f"/activities/new/?link_entity=contact&link_id={contact.pk}&kind=call")
    assert "Linked to Contact: 王芳" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/activities/new/",
            {
                "subject": "电话回访：确认报价",
                "kind": "call",
                "status": "done",
                "priority": "normal",
                "outcome": "interested",
                "description": '<p>认可<script>alert(1)</script><a href="javascript:x">x</a></p>',
                "link_entity": "contact",
                "link_id": contact.pk,
                "owner": rep.pk,
                "recurrence_interval": 1,
            },
        )

    assert response.status_code == 302, response.content.decode()
    activity = Activity.objects.get()
    assert (activity.account_id, activity.link_entity, activity.link_id) == (
        account.pk,
        "contact",
        contact.pk,
    )
    assert "<script>" not in activity.description and "javascript:" not in activity.description
    assert activity.completed_at is not None
    account_tab = client.get(f"/accounts/{account.pk}/?tab=activities").content.decode()
    contact_tab = client.get(f"/contacts/{contact.pk}/?tab=activities").content.decode()
    assert "电话回访：确认报价" in account_tab and "电话回访：确认报价" in contact_tab
    with translation.override("en"):
        items, _next = timeline.timeline("account", account, rep, kinds=["activity"])
    assert [item.title for item in items] == ["Call: 电话回访：确认报价 · Done · Interested"]
    account.refresh_from_db()
    assert account.last_followed_up_at is not None  # the public pool's clock restarts


def test_an_activity_cannot_link_to_a_record_the_user_may_not_see(rep, client_for):
    other = AccountFactory(owner=UserFactory())
    response = api_for(rep).post(
        "/api/v1/activities",
        {"subject": "偷看", "kind": "note", "link_entity": "account", "link_id": other.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "link_id" in response.json()["errors"]
    assert not Activity.objects.exists()


def test_meetings_need_a_start_and_an_end_after_it(rep):
    api = api_for(rep)
    response = api.post(
        "/api/v1/activities",
        {
            "subject": "技术交流会",
            "kind": "meeting",
            "ends_at": local(1, 9).isoformat(),
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 400
    assert "starts_at" in response.json()["errors"]
    backwards = api.post(
        "/api/v1/activities",
        {
            "subject": "技术交流会",
            "kind": "meeting",
            "starts_at": local(1, 10).isoformat(),
            "ends_at": local(1, 9).isoformat(),
        },
        content_type="application/json",
    )
    assert backwards.json()["errors"]["ends_at"] == ["The end must be after the start."]


def test_api_creates_with_participants_and_lists_by_linked_record(rep):
    account = AccountFactory(owner=rep)
    contact = ContactFactory(owner=rep, account=account)
    colleague = UserFactory(username="colleague")
    api = api_for(rep)

    created = api.post(
        "/api/v1/activities",
        {
            "subject": "Quarterly business review",
            "kind": "meeting",
            "starts_at": local(2, 10).isoformat(),
            "ends_at": local(2, 11).isoformat(),
            "link_entity": "account",
            "link_id": account.pk,
            "participant_users": [colleague.pk],
            "participant_contacts": [contact.pk],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["participant_users"] == [colleague.pk]
    assert body["participant_contacts"] == [contact.pk]
    assert body["account"] == account.pk
    ActivityFactory(owner=rep, subject="elsewhere")

    listed = api.get("/api/v1/activities", {"link_entity": "account", "link_id": account.pk})
    assert [item["subject"] for item in listed.json()["items"]] == ["Quarterly business review"]
    by_kind = api.get("/api/v1/activities", {"kind": "meeting", "account": account.pk})
    assert by_kind.json()["count"] == 1
    # The colleague taking part sees the meeting, without any grant of their own on it.
    grant(colleague, "activity", actions=["view"], scope="own")
    seen = api_for(colleague).get(f"/api/v1/activities/{body['id']}")
    assert seen.status_code == 200
    assert api_for(colleague).patch(
        f"/api/v1/activities/{body['id']}", {"subject": "x"}, content_type="application/json"
    ).status_code in (403, 404)


def test_activity_list_reads_a_page_in_a_fixed_number_of_queries(rep):
    account = AccountFactory(owner=rep)
    contacts = [ContactFactory(owner=rep, account=account) for _ in range(3)]
    for index in range(12):
        activity = ActivityFactory(owner=rep, account=account, subject=f"call {index}")
        activity.participant_contacts.set(contacts)
        activity.participant_users.set([rep])
    api = api_for(rep)
    api.get("/api/v1/activities")  # warm caches (grants, custom fields)

    with CaptureQueriesContext(connection) as queries_run:
        response = api.get("/api/v1/activities", {"limit": 50})
    assert response.json()["count"] == 12
    assert len(queries_run) <= 12


def test_my_day_sorts_open_work_into_overdue_today_upcoming(rep, client_for):
    overdue = ActivityFactory(owner=rep, kind="task", starts_at=None, due_at=local(-2, 18))
    today = ActivityFactory(owner=rep, kind="meeting", starts_at=local(0, 23))
    upcoming = ActivityFactory(owner=rep, kind="call", starts_at=local(3, 10))
    undated = ActivityFactory(owner=rep, kind="task", starts_at=None, subject="someday")
    done = ActivityFactory(owner=rep, kind="call", starts_at=local(0, 0), status="done")
    ActivityFactory(owner=UserFactory(), kind="task", starts_at=None, due_at=local(0, 12))
    theirs = ActivityFactory(owner=UserFactory(), kind="meeting", starts_at=local(1, 9))
    theirs.participant_users.set([rep])

    day = queries.my_day(rep)

    assert [a.pk for a in day.overdue] == [overdue.pk]
    assert [a.pk for a in day.today] == [today.pk]
    assert [a.pk for a in day.upcoming] == [theirs.pk, upcoming.pk]
    assert [a.pk for a in day.undated] == [undated.pk]
    assert [a.pk for a in day.done_today] == [done.pk]
    page = client_for(rep).get("/my-day/")
    assert page.status_code == 200
    assert f'data-testid="done-{overdue.pk}"' in page.content.decode()
    api = api_for(rep).get("/api/v1/activities/my-day").json()
    assert [item["id"] for item in api["overdue"]] == [overdue.pk]


def test_completing_a_repeating_task_schedules_the_next_one(rep):
    task = ActivityFactory(
        owner=rep,
        kind="task",
        starts_at=None,
        due_at=local(0, 17),
        recurrence="weekly",
        recurrence_interval=2,
    )
    response = api_for(rep).post(
        f"/api/v1/activities/{task.pk}/complete",
        {"outcome": "reached", "version": task.version},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    following = Activity.objects.exclude(pk=task.pk).get()
    assert following.series_id == task.pk
    assert timezone.localtime(following.due_at) == local(14, 17)
    assert following.status == "planned"
    stale = api_for(rep).post(
        f"/api/v1/activities/{task.pk}/reopen",
        {"version": task.version},
        content_type="application/json",
    )
    assert stale.status_code == 409


def test_a_repeating_meeting_is_scheduled_to_its_end_date(rep, client_for):
    start = local(1, 9)
    response = client_for(rep).post(
        "/activities/new/",
        {
            "subject": "周例会",
            "kind": "meeting",
            "status": "planned",
            "priority": "normal",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "recurrence": "weekly",
            "recurrence_interval": 1,
            "recurrence_until": (start + datetime.timedelta(days=28)).date().isoformat(),
            "participant_users": [rep.pk],
            "owner": rep.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()
    series = Activity.objects.order_by("starts_at")
    assert [timezone.localtime(a.starts_at) for a in series] == [
        start + datetime.timedelta(weeks=week) for week in range(5)
    ]
    assert all(list(a.participant_users.all()) == [rep] for a in series)


def test_monthly_series_keep_the_day_or_the_month_end():
    from guanxi.activities.recurrence import moments

    first = datetime.datetime(2027, 1, 31, 9, tzinfo=datetime.UTC)
    got = list(moments(first, "monthly", 1, datetime.date(2027, 5, 1)))
    assert [moment.date().isoformat() for moment in got] == [
        "2027-02-28",
        "2027-03-31",
        "2027-04-30",
    ]
    friday = datetime.datetime(2027, 1, 1, 9, tzinfo=datetime.UTC)  # a Friday
    weekdays = list(moments(friday, "weekdays", 1, datetime.date(2027, 1, 6)))
    assert [moment.day for moment in weekdays] == [4, 5, 6]


def test_reps_see_only_their_own_activities(rep):
    mine = ActivityFactory(owner=rep)
    theirs = ActivityFactory(owner=UserFactory())
    api = api_for(rep)

    assert [item["id"] for item in api.get("/api/v1/activities").json()["items"]] == [mine.pk]
    assert api.get(f"/api/v1/activities/{theirs.pk}").status_code == 404
    assert (
        api.post(
            f"/api/v1/activities/{theirs.pk}/complete", {}, content_type="application/json"
        ).status_code
        == 404
    )


def test_attachments_upload_and_download_within_scope(rep, client_for):
    activity = ActivityFactory(owner=rep)
    api = api_for(rep)

    uploaded = api.post(
        f"/api/v1/activities/{activity.pk}/attachments",
        {"file": SimpleUploadedFile("纪要.txt", "会议纪要".encode(), content_type="text/plain")},
    )
    assert uploaded.status_code == 201, uploaded.content
    url = uploaded.json()["url"]
    download = client_for(rep).get(url)
    assert b"".join(download.streaming_content).decode() == "会议纪要"
    assert (
        "纪要.txt" in download["Content-Disposition"]
        or "filename*" in download["Content-Disposition"]
    )
    stranger = UserFactory()
    grant(stranger, "activity", scope="own")
    assert client_for(stranger).get(url).status_code == 404
    page = client_for(rep).get(f"/activities/{activity.pk}/").content.decode()
    assert "纪要.txt" in page


def test_activity_log_records_what_another_module_did(rep, django_capture_on_commit_callbacks):
    account = AccountFactory(owner=rep)
    contact = ContactFactory(owner=rep, account=account)
    at = timezone.now() - datetime.timedelta(hours=2)

    with django_capture_on_commit_callbacks(execute=True):
        activity = services.activity_log(
            actor=rep,
            kind="email",
            subject="报价单已发送",
            record=contact,
            at=at,
            contacts=[contact],
        )

    assert (activity.account_id, activity.occurs_at, activity.status) == (account.pk, at, "done")
    assert list(activity.participant_contacts.all()) == [contact]
    assert Account.objects.get(pk=account.pk).last_followed_up_at == at
