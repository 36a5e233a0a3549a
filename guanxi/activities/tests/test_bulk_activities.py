"""Bulk-create an activity or task for a selection of customers or contacts."""

import pytest
from django.urls import reverse

from guanxi.activities.models import Activity
from guanxi.core.models import AuditEntry, Job
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    for entity in ("account", "contact", "activity"):
        grant(user, entity, scope="own")
    return user


def test_a_task_for_each_ticked_customer_owned_by_each_customers_owner(rep, client_for):
    manager = UserFactory(username="manager")
    grant(manager, "account", scope="all")
    grant(manager, "activity", actions=["view", "create", "assign"], scope="all")
    mine = [AccountFactory(owner=rep, name=f"客户{index}") for index in range(3)]
    other = AccountFactory(owner=UserFactory())
    client = client_for(manager)

    menu = client.get(reverse("web:account_list")).content.decode()
    assert reverse("web:account_bulk_activity") in menu
    response = client.post(
        reverse("web:account_bulk_activity"),
        {
            "ids": [account.pk for account in mine[:2]],
            "create": "1",
            "kind": "task",
            "subject": "年底回访",
            "due_at": "2030-12-20T10:00",
            "priority": "high",
            "owner": "record_owner",
        },
    )

    assert response.status_code == 302, response.content.decode()
    tasks = Activity.objects.order_by("link_id")
    assert [(t.link_entity, t.link_id, t.account_id, t.owner_id) for t in tasks] == [
        ("account", mine[0].pk, mine[0].pk, rep.pk),
        ("account", mine[1].pk, mine[1].pk, rep.pk),
    ]
    assert {t.priority for t in tasks} == {"high"}
    assert AuditEntry.objects.filter(entity="activity", action="create").count() == 2
    assert not Activity.objects.filter(link_id=other.pk).exists()


def test_large_selections_run_as_a_job_and_users_without_assign_own_them(
    rep, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("guanxi.activities.bulk.INLINE_LIMIT", 2)
    accounts = [AccountFactory(owner=rep) for _ in range(3)]
    contact = ContactFactory(owner=rep, account=accounts[0])
    AccountFactory(owner=UserFactory())  # outside the rep's scope, not selected
    client = client_for(rep)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("web:account_bulk_activity"),
            {
                "all_matching": "1",
                "create": "1",
                "kind": "call",
                "subject": "Renewal call",
                "due_at": "2030-12-20T10:00",
                "duration": "20",
                "owner": "record_owner",
            },
        )

    job = Job.objects.get()
    assert response["Location"] == reverse("web:job_detail", args=[job.pk])
    assert (job.status, job.result["count"]) == ("done", 3)
    calls = list(Activity.objects.all())
    assert {call.link_id for call in calls} == {account.pk for account in accounts}
    assert all((call.ends_at - call.starts_at).seconds == 20 * 60 for call in calls)
    assert {call.owner_id for call in calls} == {rep.pk}
    by_contact = client.post(
        reverse("web:contact_bulk_activity"),
        {"ids": [contact.pk], "create": "1", "kind": "meeting", "subject": "x", "owner": "x"},
    )
    assert by_contact.status_code == 400  # a meeting needs a start; an unknown owner choice
    assert Activity.objects.count() == 3


def test_bulk_activity_needs_the_permission_to_create_activities(client_for):
    viewer = UserFactory()
    grant(viewer, "account", scope="all")
    account = AccountFactory()
    response = client_for(viewer).post(
        reverse("web:account_bulk_activity"),
        {
            "ids": [account.pk],
            "create": "1",
            "kind": "task",
            "subject": "x",
            "owner": "record_owner",
        },
    )
    assert response.status_code == 403
    assert not Activity.objects.exists()
