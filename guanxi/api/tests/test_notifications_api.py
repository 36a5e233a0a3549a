"""/api/v1/notifications: the caller's own notifications, unread count, read, preferences."""

import json

import pytest
from django.test import Client
from django.utils import timezone

from guanxi.api.auth import token_create
from guanxi.core.models import Notification, NotificationPreference
from guanxi.core.services import notify
from guanxi.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():
    return UserFactory(username="me", language="en")


@pytest.fixture
def api(me):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=me)}")


def put(api, path, data, **headers):
    return api.put(path, json.dumps(data), content_type="application/json", **headers)


def test_the_list_is_the_callers_own_newest_first_filtered_and_paged(
    me, api, django_assert_num_queries
):
    for index in range(4):
        notify(recipient=me, title=f"Reminder {index}", category="reminder", url="/activities/1/")
    pool = notify(recipient=me, title="Back to the pool", category="pool")
    Notification.objects.filter(title="Reminder 0").update(read_at=timezone.now())
    notify(recipient=UserFactory(username="other"), title="Not mine")

    with django_assert_num_queries(4):  # token, user, count, page
        body = api.get("/api/v1/notifications", {"limit": 2}).json()
    assert body["count"] == 5 and body["count_capped"] is False
    assert [item["title"] for item in body["items"]] == ["Back to the pool", "Reminder 3"]
    assert set(body["items"][1]) == {
        "id", "category", "title", "body", "url", "created_at", "read_at", "read"
    }  # fmt: skip
    assert (body["items"][1]["category"], body["items"][1]["read"]) == ("reminder", False)

    page_two = api.get("/api/v1/notifications", {"limit": 2, "offset": 2}).json()
    assert [item["title"] for item in page_two["items"]] == ["Reminder 2", "Reminder 1"]
    unread = api.get("/api/v1/notifications", {"unread": "true", "category": "reminder"}).json()
    assert (unread["count"], [i["title"] for i in unread["items"]]) == (
        3,
        ["Reminder 3", "Reminder 2", "Reminder 1"],
    )
    read = api.get("/api/v1/notifications", {"unread": "false"}).json()
    assert [item["title"] for item in read["items"]] == ["Reminder 0"]
    only_pool = api.get("/api/v1/notifications", {"category": "pool"}).json()
    assert [item["id"] for item in only_pool["items"]] == [pool.pk]


def test_unread_count_read_one_and_read_all(me, api, django_assert_num_queries):
    first = notify(recipient=me, title="First", category="share")
    notify(recipient=me, title="Second", category="reminder")
    notify(recipient=me, title="Third", category="reminder")

    with django_assert_num_queries(3):  # token, user, the count
        assert api.get("/api/v1/notifications/unread-count").json() == {"count": 3}

    response = api.post(f"/api/v1/notifications/{first.pk}/read")
    assert response.status_code == 200
    assert response.json()["read"] is True
    read_at = Notification.objects.get(pk=first.pk).read_at
    again = api.post(f"/api/v1/notifications/{first.pk}/read").json()
    assert Notification.objects.get(pk=first.pk).read_at == read_at
    assert again["read"] is True
    assert api.get("/api/v1/notifications/unread-count").json() == {"count": 2}

    assert api.post("/api/v1/notifications/read-all?category=reminder").json() == {"count": 2}
    assert api.get("/api/v1/notifications/unread-count").json() == {"count": 0}


def test_someone_elses_notification_answers_404_and_stays_as_it_was(me, api):
    theirs = notify(recipient=UserFactory(username="other"), title="Theirs")

    for response in (
        api.get(f"/api/v1/notifications/{theirs.pk}"),
        api.post(f"/api/v1/notifications/{theirs.pk}/read"),
        api.delete(f"/api/v1/notifications/{theirs.pk}"),
    ):
        assert (response.status_code, response.json()) == (
            404,
            {"detail": "Not found.", "errors": {}},
        )
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api.post("/api/v1/notifications/read-all").json() == {"count": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_delete_one_and_all_read(me, api):
    one = notify(recipient=me, title="One")
    read = notify(recipient=me, title="Read")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    notify(recipient=me, title="Unread")

    assert api.delete(f"/api/v1/notifications/{one.pk}").status_code == 204
    assert api.post("/api/v1/notifications/delete-read").json() == {"count": 1}
    assert list(Notification.objects.values_list("title", flat=True)) == ["Unread"]


def test_preferences_read_with_defaults_and_changed_in_part(me, api):
    body = api.get("/api/v1/notifications/preferences").json()
    assert body["digest_enabled"] is False and body["digest_hour"] == 8
    assert body["categories"][0] == {
        "category": "reminder",
        "label": "Reminders",
        "in_app": True,
        "email": True,
    }
    assert {c["category"]: (c["in_app"], c["email"]) for c in body["categories"]} == {
        "reminder": (True, True),
        "assignment": (True, False),
        "share": (True, False),
        "job": (True, False),
        "pool": (True, False),
        "system": (True, False),
    }

    changed = put(
        api,
        "/api/v1/notifications/preferences",
        {
            "categories": [
                {"category": "pool", "email": True},
                {"category": "job", "in_app": False},
            ],
            "digest_enabled": True,
            "digest_hour": 18,
        },
    ).json()

    channels = {c["category"]: (c["in_app"], c["email"]) for c in changed["categories"]}
    assert (channels["pool"], channels["job"], channels["reminder"]) == (
        (True, True),
        (False, False),
        (True, True),
    )
    assert (changed["digest_enabled"], changed["digest_hour"]) == (True, 18)
    preference = NotificationPreference.objects.get(user=me)
    assert preference.channel("pool") == {"in_app": True, "email": True}


def test_bad_preferences_answer_400_in_the_callers_language_and_save_nothing(me, api):
    response = put(
        api,
        "/api/v1/notifications/preferences",
        {"categories": [{"category": "gossip", "email": True}], "digest_hour": 24},
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The data is not valid."
    assert body["errors"] == {
        "categories.0.category": ["Choose one of: reminder, assignment, share, job, pool, system."],
        "digest_hour": ["Enter an hour from 0 to 23."],
    }
    assert NotificationPreference.objects.count() == 0
    zh = UserFactory(username="zh", language="zh-hans")
    zh_api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=zh)}")
    response = put(zh_api, "/api/v1/notifications/preferences", {"digest_hour": -1})
    assert response.json()["errors"] == {"digest_hour": ["请填写 0 到 23 之间的小时数。"]}
    bad_filter = api.get("/api/v1/notifications", {"category": "gossip"})
    assert bad_filter.status_code == 400 and list(bad_filter.json()["errors"]) == ["category"]


def test_anonymous_callers_get_401():
    assert Client().get("/api/v1/notifications").status_code == 401
    assert Client().get("/api/v1/notifications/unread-count").status_code == 401
