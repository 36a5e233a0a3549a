"""Telesales call lists: building and splitting, the call screen, callbacks, statistics."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.activities.models import Activity
from guanxi.api.auth import token_create
from guanxi.core.models import Job, Role
from guanxi.core.permissions import forget_grants
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import ContactFactory
from guanxi.sales import calllist_queries, calllist_services
from guanxi.sales.competitor_period import ReportScope
from guanxi.sales.models import CallAttempt, CallList, CallListEntry, CallOutcome

pytestmark = pytest.mark.django_db
START = timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 0))


class Clock:
    """Stand in for the wall clock: tests move it by hand."""

    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment

    def advance(self, **delta):
        self.moment += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(START)
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def outcome(code):
    return CallOutcome.objects.get(code=code)


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


@pytest.fixture
def manager():
    user = UserFactory(username="manager")
    grant(user, "contact", ["view"], "all")
    grant(user, "calllist", ["view", "create", "edit", "assign"], "all")
    grant(user, "activity", ["view", "create"], "all")
    return user


def rep(name):
    user = UserFactory(username=name)
    grant(user, "calllist", ["view"], "own")
    grant(user, "activity", ["view", "create"], "own")
    return user


def test_split_evenly_and_by_counts():
    assert calllist_services.split_assignments(5, [1, 2], "evenly") == [1, 2, 1, 2, 1]
    assert calllist_services.split_assignments(5, [1, 2], "counts", [1, 3]) == [1, 2, 2, 2]
    with pytest.raises(ValidationError) as error:
        calllist_services.split_assignments(3, [1, 2], "counts", [2, 2])
    assert error.value.message_dict == {
        "counts": ["The counts add up to 4 but only 3 records are selected."]
    }


def test_build_from_the_contact_filter_split_by_counts(manager, client_for):
    wang, li = rep("wang"), rep("li")
    buyers = [ContactFactory(role="decision_maker") for _ in range(4)]
    ContactFactory(role="user")  # outside the filter
    response = client_for(manager).post(
        reverse("web:contact_bulk_calllist"),
        {
            "querystring": "role=decision_maker",
            "all_matching": "1",
            "create": "1",
            "name": "采购经理首呼",
            "reps": [wang.pk, li.pk],
            "method": "counts",
            "counts": "1，3",
        },
    )
    call_list = CallList.objects.get()
    assert response["Location"] == reverse("web:calllist_detail", args=[call_list.pk])
    assert (call_list.entity, call_list.filter_query, call_list.owner) == (
        "contact",
        "role=decision_maker",
        manager,
    )
    entries = list(call_list.entries.order_by("position"))
    assert [e.record_id for e in entries] == [c.pk for c in buyers]
    assert [e.assigned_to for e in entries] == [wang, li, li, li]
    assert [e.position for e in entries] == [1, 2, 3, 4]


def test_build_refuses_counts_above_the_selection_and_writes_nothing(manager, client_for):
    contact = ContactFactory()
    response = client_for(manager).post(
        reverse("web:contact_bulk_calllist"),
        {
            "ids": [contact.pk],
            "create": "1",
            "name": "x",
            "reps": [manager.pk],
            "method": "counts",
            "counts": "5",
        },
    )
    assert response.status_code == 400
    assert "only 1 records are selected" in response.content.decode()
    assert CallList.objects.count() == 0


def test_large_selections_build_in_a_job(
    manager, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("guanxi.sales.calllist_views.INLINE_LIMIT", 2)
    wang, li = rep("wang"), rep("li")
    ContactFactory.create_batch(5)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(
            reverse("web:contact_bulk_calllist"),
            {
                "all_matching": "1",
                "create": "1",
                "name": "大名单",
                "reps": [wang.pk, li.pk],
                "method": "evenly",
            },
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("web:job_detail", args=[job.pk])
    assert (job.status, job.result["count"]) == ("done", 5)
    assert CallListEntry.objects.filter(assigned_to=wang).count() == 3
    assert CallListEntry.objects.filter(assigned_to=li).count() == 2


def test_a_rep_without_assign_can_only_give_entries_to_themselves(client_for):
    user = rep("zhao")
    grant(user, "contact", ["view"], "all")
    grant(user, "calllist", ["create", "edit"], "own")
    other = UserFactory()
    contact = ContactFactory()
    response = client_for(user).post(
        reverse("web:contact_bulk_calllist"),
        {"ids": [contact.pk], "create": "1", "name": "x", "reps": [other.pk], "method": "evenly"},
    )
    assert response.status_code == 400
    assert CallList.objects.count() == 0


def _list_for(manager, reps, contacts):
    call_list = calllist_services.calllist_create(actor=manager, name="回访", entity="contact")
    calllist_services.calllist_add_records(
        actor=manager,
        call_list=call_list,
        records=ContactFactory._meta.model.objects.filter(pk__in=[c.pk for c in contacts]),
        rep_ids=[r.pk for r in reps],
    )
    return call_list


def test_an_outcome_logs_a_call_activity_and_moves_to_the_next(manager, clock):
    wang = rep("wang")
    first, second = ContactFactory(), ContactFactory()
    call_list = _list_for(manager, [wang], [first, second])
    entry = calllist_services.next_entry(user=wang, call_list=call_list)
    assert entry.record_id == first.pk
    calllist_services.calllist_record_outcome(
        actor=wang, entry=entry, outcome=outcome("interested"), note="想看演示 <b>"
    )
    call = Activity.objects.get(kind="call")
    assert (call.link_entity, call.link_id, call.owner, call.status) == (
        "contact",
        first.pk,
        wang,
        "done",
    )
    assert call.subject == "Call: Connected, interested"
    assert call.description == "<p>想看演示 &lt;b&gt;</p>"
    assert call.occurs_at == START
    entry.refresh_from_db()
    assert (entry.status, entry.attempts, entry.last_called_at) == ("done", 1, START)
    assert calllist_services.next_entry(user=wang, call_list=call_list).record_id == second.pk


def test_no_answer_comes_back_after_an_hour_until_three_attempts(manager, clock):
    wang = rep("wang")
    call_list = _list_for(manager, [wang], [ContactFactory()])
    entry = call_list.entries.get()
    for attempt in range(3):
        calllist_services.calllist_record_outcome(
            actor=wang, entry=entry, outcome=outcome("no_answer")
        )
        entry.refresh_from_db()
        assert calllist_services.next_entry(user=wang, call_list=call_list) is None
        clock.advance(minutes=61)
        if attempt < 2:
            assert calllist_services.next_entry(user=wang, call_list=call_list) == entry
    assert (entry.status, entry.attempts) == ("done", 3)


def test_callback_becomes_a_task_and_is_kept_within_thirty_minutes(manager, clock):
    wang = rep("wang")
    kept_contact, missed_contact = ContactFactory(), ContactFactory()
    call_list = _list_for(manager, [wang], [kept_contact, missed_contact])
    kept, missed = call_list.entries.order_by("position")
    at = START + datetime.timedelta(hours=3)
    for entry in (kept, missed):
        calllist_services.calllist_record_outcome(
            actor=wang, entry=entry, outcome=outcome("call_back"), callback_at=at
        )
    tasks = Activity.objects.filter(kind="task").order_by("link_id")
    assert [(t.owner, t.due_at, t.status, t.link_id) for t in tasks] == [
        (wang, at, "planned", kept_contact.pk),
        (wang, at, "planned", missed_contact.pk),
    ]
    assert calllist_services.next_entry(user=wang, call_list=call_list) is None
    clock.advance(hours=3, minutes=20)  # 20 minutes late: kept
    assert calllist_services.next_entry(user=wang, call_list=call_list) == kept
    calllist_services.calllist_record_outcome(actor=wang, entry=kept, outcome=outcome("interested"))
    clock.advance(minutes=30)  # the other one 50 minutes late: missed
    calllist_services.calllist_record_outcome(
        actor=wang, entry=missed, outcome=outcome("not_interested")
    )
    assert list(
        CallAttempt.objects.filter(callback_at__isnull=False)
        .order_by("entry__position")
        .values_list("callback_kept", flat=True)
    ) == [True, False]
    [row] = calllist_queries.call_statistics(
        wang, ReportScope(start=START.date(), end=START.date())
    )
    assert (row.calls, row.connected) == (4, 4)
    assert row.outcomes == {"call_back": 2, "interested": 1, "not_interested": 1}
    assert (row.callbacks_scheduled, row.callbacks_kept, row.callbacks_missed) == (2, 1, 1)
    assert row.kept_rate == 50


def test_a_callback_in_the_past_is_refused_and_nothing_is_written(manager, clock):
    wang = rep("wang")
    call_list = _list_for(manager, [wang], [ContactFactory()])
    entry = call_list.entries.get()
    with pytest.raises(ValidationError) as error:
        calllist_services.calllist_record_outcome(
            actor=wang, entry=entry, outcome=outcome("call_back"), callback_at=START
        )
    assert error.value.message_dict == {"callback_at": ["A callback must be in the future."]}
    assert (Activity.objects.count(), CallAttempt.objects.count()) == (0, 0)


def test_stats_are_scoped_a_rep_sees_their_own_calls(manager, clock):
    wang, li = rep("wang"), rep("li")
    call_list = _list_for(manager, [wang, li], [ContactFactory(), ContactFactory()])
    for entry in call_list.entries.all():
        calllist_services.calllist_record_outcome(
            actor=entry.assigned_to, entry=entry, outcome=outcome("busy")
        )
    today = ReportScope(start=START.date(), end=START.date())
    assert [r.name for r in calllist_queries.call_statistics(wang, today)] == ["wang"]
    assert [r.name for r in calllist_queries.call_statistics(manager, today)] == ["li", "wang"]
    body = api(manager).get("/api/v1/call-lists/stats?start=2026-12-01&end=2026-12-01").json()
    assert [(item["name"], item["calls"], item["connected"]) for item in body["items"]] == [
        ("li", 1, 0),
        ("wang", 1, 0),
    ]


def test_call_screen_logs_the_outcome_and_shows_the_next(manager, client_for, clock):
    wang = rep("wang")
    first, second = ContactFactory(name="张伟"), ContactFactory(name="李娜")
    call_list = _list_for(manager, [wang], [first, second])
    client = client_for(wang)
    page = client.get(reverse("web:calllist_call", args=[call_list.pk])).content.decode()
    assert "张伟" in page
    assert f'href="tel:{first.mobile_e164}"' in page
    entry = call_list.entries.get(record_id=first.pk)
    response = client.post(
        reverse("web:calllist_call", args=[call_list.pk]),
        {"entry": entry.pk, "outcome": outcome("no_answer").pk, "note": ""},
    )
    assert response.status_code == 302
    assert "李娜" in client.get(response["Location"]).content.decode()
    empty = client.post(reverse("web:calllist_call", args=[call_list.pk]), {"entry": entry.pk})
    assert empty.status_code == 400
    assert "Choose an outcome." in empty.content.decode()


def test_masking_roles_see_masked_numbers_and_dial_through_the_server(manager, client_for):
    wang = rep("wang")
    Role.objects.filter(users=wang).update(mask_personal_data=True)
    forget_grants(wang)
    contact = ContactFactory(mobile="13812341234")
    call_list = _list_for(manager, [wang], [contact])
    client = client_for(wang)
    page = client.get(reverse("web:calllist_call", args=[call_list.pk])).content.decode()
    assert "138****1234" in page
    assert "13812341234" not in page
    entry = call_list.entries.get()
    dial = client.get(reverse("web:calllist_dial", args=[call_list.pk, entry.pk, "mobile"]))
    assert (dial.status_code, dial["Location"]) == (302, "tel:+8613812341234")


def test_a_rep_cannot_call_or_see_entries_of_lists_not_theirs(manager, clock):
    wang, li, stranger = rep("wang"), rep("li"), rep("stranger")
    call_list = _list_for(manager, [wang, li], [ContactFactory(), ContactFactory()])
    li_entry = call_list.entries.get(assigned_to=li)
    url = f"/api/v1/call-lists/{call_list.pk}/entries/{li_entry.pk}/outcome"
    refused = api(wang).post(url, {"outcome": "busy"}, "application/json")
    assert refused.status_code == 403
    assert api(stranger).get(f"/api/v1/call-lists/{call_list.pk}/next").status_code == 404
    assert api(stranger).post(url, {"outcome": "busy"}, "application/json").status_code == 404
    assert CallAttempt.objects.count() == 0
    unknown = api(li).post(url, {"outcome": "nope"}, "application/json")
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {"outcome": ["Choose an outcome."]}


def test_call_list_api_build_next_outcome_and_entries_in_few_queries(manager, clock):
    wang = rep("wang")
    contacts = [ContactFactory() for _ in range(6)]
    made = api(manager).post(
        "/api/v1/call-lists/build",
        {
            "name": "API 名单",
            "entity": "contact",
            "ids": [c.pk for c in contacts],
            "reps": [wang.pk],
        },
        "application/json",
    )
    assert made.status_code == 201
    list_id = made.json()["id"]
    assert made.json()["added"] == 6
    client = api(wang)
    following = client.get(f"/api/v1/call-lists/{list_id}/next").json()
    assert following["record_id"] == contacts[0].pk
    logged = client.post(
        f"/api/v1/call-lists/{list_id}/entries/{following['id']}/outcome",
        {"outcome": "interested", "note": "发报价"},
        "application/json",
    )
    assert logged.status_code == 201
    assert logged.json()["entry"]["status"] == "done"
    assert Activity.objects.get(pk=logged.json()["activity"]).link_id == contacts[0].pk
    client.get(f"/api/v1/call-lists/{list_id}/entries")
    with CaptureQueriesContext(connection) as queries:
        listed = client.get(f"/api/v1/call-lists/{list_id}/entries")
    assert listed.json()["count"] == 6
    assert listed.json()["items"][0]["outcome"] == "interested"
    assert len(queries) <= 8, [q["sql"] for q in queries]
    assert api(manager).get("/api/v1/call-lists").json()["count"] == 1
    assert client.get("/api/v1/call-outcomes").json()["count"] == 6


def test_call_list_detail_and_stats_screens(manager, client_for, clock):
    wang = rep("wang")
    call_list = _list_for(manager, [wang], [ContactFactory(name="王芳")])
    client = client_for(manager)
    page = client.get(reverse("web:calllist_detail", args=[call_list.pk]) + "?tab=entries")
    assert "王芳" in page.content.decode()
    with CaptureQueriesContext(connection) as queries:
        stats = client.get(reverse("web:calllist_stats"))
    assert stats.status_code == 200
    assert len(queries) <= 20
    assert client_for(UserFactory()).get(reverse("web:calllist_stats")).status_code == 403


def test_the_service_refuses_a_call_on_someone_elses_entry(manager, clock):
    wang, li = rep("wang"), rep("li")
    call_list = _list_for(manager, [wang, li], [ContactFactory(), ContactFactory()])
    li_entry = call_list.entries.get(assigned_to=li)
    with pytest.raises(PermissionDenied):
        calllist_services.calllist_record_outcome(
            actor=wang, entry=li_entry, outcome=outcome("busy")
        )
    with pytest.raises(PermissionDenied):
        calllist_services.calllist_skip(actor=wang, entry=li_entry)
    li_entry.refresh_from_db()
    assert (li_entry.status, CallAttempt.objects.count(), Activity.objects.count()) == (
        "pending",
        0,
        0,
    )
    # The list's owner may call any entry of it.
    calllist_services.calllist_record_outcome(
        actor=manager, entry=li_entry, outcome=outcome("busy")
    )
    assert CallAttempt.objects.get().rep == manager
