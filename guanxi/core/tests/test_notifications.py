"""Notifications: categories, preferences, the bell's badge and menu, the list, the screen."""

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from guanxi.core import registry
from guanxi.core.models import Notification, NotificationPreference
from guanxi.core.services import notify, record_share
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory


@pytest.fixture
def me(db):
    return UserFactory(username="me", language="en")


def test_notify_keeps_the_category_and_honours_preferences(me, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        in_bell = notify(recipient=me, title="Job done", category="job")
    assert (in_bell.category, len(mail.outbox)) == ("job", 0)  # others: in the app only

    NotificationPreference.objects.create(
        user=me, channels={"job": {"in_app": False, "email": True}}
    )
    me.refresh_from_db()
    with (
        override_settings(GUANXI_BASE_URL="https://crm.example.com/"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        nothing = notify(recipient=me, title="Import finished", body="120 rows", url="/jobs/7/")
        emailed = notify(recipient=me, title="Import finished", url="/jobs/7/", category="job")

    assert (nothing.category, emailed) == ("system", None)
    assert Notification.objects.filter(recipient=me, title="Import finished").count() == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [(["me@example.com"], "Import finished")]
    assert "Open it in Guanxi: https://crm.example.com/jobs/7/" in mail.outbox[0].body


def test_no_email_without_an_address_nor_before_the_transaction_commits(
    me, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=me, channels={"system": {"email": True}})
    me.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipient=me, title="Later")
    assert (len(callbacks), len(mail.outbox)) == (1, 0)

    me.email = ""
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=me, title="No address")
    assert mail.outbox == []


def test_sharing_a_record_notifies_in_the_share_category(me):
    colleague = UserFactory(username="colleague", language="zh-hans")
    grant(me, "account")
    account = AccountFactory(owner=me, name="华信科技有限公司")

    record_share(actor=me, entity=registry.get("account"), instance=account, users=[colleague])

    notification = Notification.objects.get(recipient=colleague)
    assert (notification.category, notification.title) == (
        "share",
        "me 与您共享了 华信科技有限公司",
    )


def test_the_badge_is_one_query_on_the_unread_index(me, client_for, django_assert_num_queries):
    for index in range(3):
        notify(recipient=me, title=f"n{index}")
    Notification.objects.filter(title="n0").update(read_at=timezone.now())
    notify(recipient=UserFactory(username="other"), title="not mine")
    client = client_for(me)

    with django_assert_num_queries(3):  # session, user, the count
        response = client.get(reverse("web:notification_badge"))

    html = response.content.decode()
    assert 'data-count="2"' in html
    assert "hx-trigger=\"every 30s [document.visibilityState === 'visible']" in html
    assert ">2</span>" in html


def test_the_menu_marks_one_or_all_read_and_tells_the_badge(me, client_for):
    first = notify(recipient=me, title="First")
    notify(recipient=me, title="Second")
    client = client_for(me)

    response = client.post(
        reverse("web:notification_read", args=[first.pk]), HTTP_HX_REQUEST="true"
    )
    assert response["HX-Trigger"] == "notifications-changed"
    assert 'data-testid="menu-read-' in response.content.decode()
    assert Notification.objects.filter(recipient=me, read_at__isnull=True).count() == 1

    response = client.post(reverse("web:notification_read_all"), HTTP_HX_REQUEST="true")
    assert response["HX-Trigger"] == "notifications-changed"
    assert Notification.objects.filter(recipient=me, read_at__isnull=True).count() == 0
    assert 'data-count="0"' in client.get(reverse("web:notification_badge")).content.decode()


def test_the_list_filters_by_category_and_state_and_pages(
    me, client_for, django_assert_num_queries
):
    for index in range(55):
        notify(recipient=me, title=f"Reminder {index:02d}", category="reminder")
    pool = notify(recipient=me, title="Back to the pool", category="pool")
    Notification.objects.filter(title__in=["Reminder 00", "Reminder 01"]).update(
        read_at=timezone.now()
    )
    client = client_for(me)

    # session, user, the page, the menu's permissions and pools, the unread count
    with django_assert_num_queries(6):
        page = client.get(reverse("web:notification_list"), {"category": "reminder"})
    html = page.content.decode()
    assert html.count('data-testid="notification-') == 50 + 2  # items + filters + list
    assert "Reminder 54" in html and "Back to the pool" not in html
    assert 'href="?category=reminder&amp;offset=50"' in html

    older = client.get(reverse("web:notification_list"), {"category": "reminder", "offset": 50})
    assert "Reminder 00" in older.content.decode() and "Reminder 05" not in older.content.decode()

    read = client.get(reverse("web:notification_list"), {"state": "read"}).content.decode()
    assert "Reminder 01" in read and "Reminder 02" not in read
    unread = client.get(
        reverse("web:notification_list"), {"state": "unread", "category": "pool"}
    ).content.decode()
    assert f'data-testid="notification-{pool.pk}"' in unread and "Reminder 5" not in unread


def test_only_ones_own_notifications_can_be_read_or_deleted(me, client_for):
    other = UserFactory(username="other")
    theirs = notify(recipient=other, title="Theirs")
    mine = notify(recipient=me, title="Mine", url="/accounts/")
    client = client_for(me)

    assert client.post(reverse("web:notification_delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("web:notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    response = client.post(
        reverse("web:notification_read", args=[mine.pk]), {"stay": "1", "next": "/notifications/"}
    )
    assert response["Location"] == "/notifications/"
    response = client.post(reverse("web:notification_delete", args=[mine.pk]))
    assert response["Location"] == reverse("web:notification_list")
    assert list(Notification.objects.values_list("title", flat=True)) == ["Theirs"]


def test_deleting_read_notifications_keeps_unread_ones_and_other_peoples(me, client_for):
    other = UserFactory(username="other")
    read = notify(recipient=me, title="Old and read")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    notify(recipient=me, title="Still unread")
    theirs = notify(recipient=other, title="Theirs, read")
    Notification.objects.filter(pk=theirs.pk).update(read_at=timezone.now())

    client_for(me).post(reverse("web:notification_delete_read"))

    assert sorted(Notification.objects.values_list("title", flat=True)) == [
        "Still unread",
        "Theirs, read",
    ]


def test_the_preferences_screen_shows_defaults_and_saves_choices(me, client_for):
    client = client_for(me)
    page = client.get(reverse("web:notification_preferences")).content.decode()
    assert 'name="reminder__email" id="id_reminder__email" aria-label' in page
    assert 'id="id_reminder__email" aria-label="Reminders · By email" checked' in page
    assert 'id="id_assignment__email" aria-label="Assignments and transfers · By email">' in page

    response = client.post(
        reverse("web:notification_preferences"),
        {
            "reminder__in_app": "on",
            "assignment__in_app": "on",
            "assignment__email": "on",
            "digest_enabled": "on",
            "digest_hour": "7",
        },
    )

    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=me)
    assert preference.channel("reminder") == {"in_app": True, "email": False}
    assert preference.channel("assignment") == {"in_app": True, "email": True}
    assert preference.channel("pool") == {"in_app": False, "email": False}
    assert (preference.digest_enabled, preference.digest_hour) == (True, 7)


def test_a_bad_digest_hour_is_refused_and_nothing_saved(me, client_for):
    response = client_for(me).post(
        reverse("web:notification_preferences"), {"digest_enabled": "on", "digest_hour": "24"}
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert NotificationPreference.objects.count() == 0


def test_the_preferences_screen_speaks_chinese(db, client_for):
    user = UserFactory(username="zhang", language="zh-hans")
    page = client_for(user).get(reverse("web:notification_preferences")).content.decode()
    for text in ("通知偏好", "站内通知", "邮件通知", "每日摘要邮件", "分配与转移", "公海提醒"):
        assert text in page
    profile = client_for(user).get(reverse("web:profile")).content.decode()
    assert reverse("web:notification_preferences") in profile
