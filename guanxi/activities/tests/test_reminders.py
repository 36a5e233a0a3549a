"""Reminders before an activity's time: sent once, on time, to the right people, as they like."""

import datetime
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from guanxi.activities.models import Activity
from guanxi.activities.reminders import reminders_send_due
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.core.models import Notification, NotificationPreference
from guanxi.core.tests.factories import UserFactory

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 10, 6, 15, tzinfo=UTC)  # 14:15 in Shanghai, 06:15 in London
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def people(db):
    owner = UserFactory(username="zhang.wei", language="zh-hans", time_zone="Asia/Shanghai")
    colleague = UserFactory(username="emma", language="en", time_zone="Europe/London")
    bystander = UserFactory(username="bystander")
    return owner, colleague, bystander


def call_at_1430(owner, *participants, **fields):
    activity = ActivityFactory(
        owner=owner,
        kind="call",
        subject="Call 张伟",
        starts_at=datetime.datetime(2026, 3, 10, 6, 30, tzinfo=UTC),
        remind_before=15,
        **fields,
    )
    activity.participant_users.add(*participants)
    return activity


def titles(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def test_a_due_reminder_goes_once_to_owner_and_participants_in_their_language_and_zone(
    people, django_capture_on_commit_callbacks
):
    owner, colleague, bystander = people
    activity = call_at_1430(owner, colleague, owner)
    assert activity.remind_at == NOW

    with django_capture_on_commit_callbacks(execute=True):
        early = reminders_send_due(now=NOW - MINUTE)
    assert (early.reminded, Notification.objects.count(), len(mail.outbox)) == (0, 0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        run = reminders_send_due(now=NOW)
    assert (run.reminded, run.notified, run.skipped) == (1, 2, 0)
    assert titles(owner) == ["提醒：Call 张伟（14:30）"]
    assert titles(colleague) == ["Reminder: Call 张伟 at 06:30"]
    assert titles(bystander) == []
    reminder = Notification.objects.get(recipient=owner)
    assert (reminder.category, reminder.url) == ("reminder", f"/activities/{activity.pk}/")
    assert reminder.body == "电话 · 2026年3月10日 14:30"
    activity.refresh_from_db()
    assert activity.reminded_at == NOW
    # Reminders reach the inbox by default.
    assert sorted(message.to[0] for message in mail.outbox) == [
        "emma@example.com",
        "zhang.wei@example.com",
    ]

    with django_capture_on_commit_callbacks(execute=True):
        again = reminders_send_due(now=NOW + MINUTE)
        later = reminders_send_due(now=NOW + datetime.timedelta(hours=1))
    assert (again.reminded, later.reminded) == (0, 0)
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


def test_done_and_cancelled_activities_are_not_reminded(people):
    owner, _colleague, _bystander = people
    done = call_at_1430(owner, status="done")
    cancelled = call_at_1430(owner, status="cancelled")

    run = reminders_send_due(now=NOW)

    assert (run.reminded, Notification.objects.count()) == (0, 0)
    done.refresh_from_db()
    cancelled.refresh_from_db()
    assert (done.reminded_at, cancelled.reminded_at) == (None, None)


def test_a_task_reminds_of_its_due_time_and_says_tomorrow(people):
    _owner, colleague, _bystander = people
    ActivityFactory(
        owner=colleague,
        kind="task",
        subject="Send the quote",
        starts_at=None,
        due_at=datetime.datetime(2026, 3, 11, 9, 0, tzinfo=UTC),
        remind_before=24 * 60,
    )

    reminders_send_due(now=datetime.datetime(2026, 3, 10, 9, 0, tzinfo=UTC))

    assert titles(colleague) == ["Reminder: Send the quote is due tomorrow at 09:00"]


def test_a_reminder_found_long_after_its_activity_is_marked_but_not_sent(people):
    owner, _colleague, _bystander = people
    activity = call_at_1430(owner)

    run = reminders_send_due(now=NOW + datetime.timedelta(hours=13))

    assert (run.reminded, run.skipped, Notification.objects.count()) == (0, 1, 0)
    activity.refresh_from_db()
    assert activity.reminded_at == NOW + datetime.timedelta(hours=13)


def test_moving_an_activity_after_its_reminder_arms_the_reminder_again(people):
    owner, _colleague, _bystander = people
    activity = call_at_1430(owner)
    reminders_send_due(now=NOW)

    activity.starts_at += datetime.timedelta(hours=2)
    activity.save()
    assert activity.reminded_at is None
    reminders_send_due(now=NOW + datetime.timedelta(hours=1))
    reminders_send_due(now=NOW + datetime.timedelta(hours=2))

    assert titles(owner) == ["提醒：Call 张伟（16:30）", "提醒：Call 张伟（14:30）"]


def test_preferences_decide_between_the_bell_and_the_inbox(
    people, django_capture_on_commit_callbacks
):
    owner, colleague, _bystander = people
    NotificationPreference.objects.create(
        user=owner, channels={"reminder": {"in_app": False, "email": True}}
    )
    NotificationPreference.objects.create(
        user=colleague, channels={"reminder": {"in_app": True, "email": False}}
    )
    call_at_1430(owner, colleague)

    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(now=NOW)

    assert titles(owner) == []
    assert titles(colleague) == ["Reminder: Call 张伟 at 06:30"]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["zhang.wei@example.com"], "提醒：Call 张伟（14:30）")
    ]


@override_settings(GUANXI_BASE_URL="https://crm.example.com")
def test_reminder_email_is_delivered_over_smtp_in_the_recipients_language(
    people, django_capture_on_commit_callbacks, smtp_server
):
    owner, _colleague, _bystander = people
    activity = call_at_1430(owner, location="上海市浦东新区")

    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(now=NOW)

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["to"] == ["zhang.wei@example.com"]
    assert received["email"]["subject"] == "提醒：Call 张伟（14:30）"
    text = received["email"].get_body(("plain",)).get_content()
    assert text.splitlines()[:5] == [
        "提醒：Call 张伟（14:30）",
        "",
        "电话 · 2026年3月10日 14:30 · 上海市浦东新区",
        "",
        f"在关系 CRM 中打开：https://crm.example.com/activities/{activity.pk}/",
    ]
    assert "https://crm.example.com/profile/notifications/" in text


def test_batches_go_on_until_every_due_reminder_is_sent(people):
    owner, _colleague, _bystander = people
    for _ in range(5):
        call_at_1430(owner)

    run = reminders_send_due(now=NOW, batch_size=2)

    assert run.reminded == 5
    assert Activity.objects.filter(reminded_at__isnull=True).count() == 0
    assert len(titles(owner)) == 5


def test_the_command_and_the_periodic_task_send_what_is_due(people):
    from guanxi.activities.tasks import send_reminders_every_minute

    owner, colleague, _bystander = people
    soon = timezone.now() + datetime.timedelta(minutes=5)
    ActivityFactory(owner=owner, subject="First", starts_at=soon, remind_before=10)
    call_command("send_reminders", stdout=(out := __import__("io").StringIO()))
    assert out.getvalue().strip() == "reminded=1 people=1 skipped_too_late=0"

    ActivityFactory(owner=colleague, subject="Second", starts_at=soon, remind_before=10)
    assert send_reminders_every_minute.call_local() == 1
    assert len(titles(colleague)) == 1


@pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked,
    reason="SKIP LOCKED is PostgreSQL's; SQLite claims rows one conditional UPDATE at a time",
)
@pytest.mark.django_db(transaction=True)
def test_a_second_worker_skips_the_rows_another_worker_holds():
    owner = UserFactory(username="li.na", language="en", time_zone="Asia/Shanghai")
    held = [call_at_1430(owner) for _ in range(2)]
    free = call_at_1430(owner)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                list(Activity.objects.select_for_update().filter(pk__in=[a.pk for a in held]))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(10)
    try:
        first = reminders_send_due(now=NOW)
    finally:
        release.set()
        thread.join(10)
    second = reminders_send_due(now=NOW)

    assert (first.reminded, second.reminded) == (1, 2)
    assert Activity.objects.get(pk=free.pk).reminded_at == NOW
    assert Notification.objects.filter(recipient=owner).count() == 3
