"""The daily digest email: the right content, at the user's hour, once a day, never empty."""

import datetime
import io

from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from guanxi.activities.digest import digest_for, digests_send_due
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.core.models import NotificationPreference
from guanxi.core.services import notify
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory

UTC = datetime.UTC
# 08:05 on 10 March 2026 in Shanghai; 01:05 in Berlin.
EIGHT_IN_SHANGHAI = datetime.datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def digest_user(username="zhang.wei", *, language="zh-hans", zone="Asia/Shanghai", hour=8):
    user = UserFactory(username=username, language=language, time_zone=zone)
    grant(user, "activity", scope="own")
    NotificationPreference.objects.create(user=user, digest_enabled=True, digest_hour=hour)
    return user


def fill_the_day(user):
    account = AccountFactory(owner=user, name="华信科技有限公司")
    ActivityFactory(
        owner=user,
        kind="task",
        subject="准备报价单",
        starts_at=None,
        due_at=datetime.datetime(2026, 3, 9, 2, 0, tzinfo=UTC),  # yesterday 10:00 there
        account=account,
    )
    ActivityFactory(
        owner=user,
        kind="meeting",
        subject="季度回顾会议",
        starts_at=datetime.datetime(2026, 3, 10, 6, 0, tzinfo=UTC),  # today 14:00 there
    )
    ActivityFactory(  # done: not in the digest
        owner=user,
        kind="call",
        subject="已完成的电话",
        status="done",
        starts_at=datetime.datetime(2026, 3, 10, 1, 0, tzinfo=UTC),
    )
    ActivityFactory(  # tomorrow: not in the digest
        owner=user, subject="明天的拜访", starts_at=datetime.datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
    )
    notify(recipient=user, title="王芳 把客户 华信科技 分配给了你", url="/accounts/1/")


def test_the_digest_lists_overdue_work_todays_activities_and_unread_notifications(db):
    user = digest_user()
    fill_the_day(user)

    digest = digest_for(user, now=EIGHT_IN_SHANGHAI)

    assert digest.day == datetime.date(2026, 3, 10)
    assert [a.subject for a in digest.overdue] == ["准备报价单"]
    assert [a.subject for a in digest.today] == ["季度回顾会议"]
    assert [n.title for n in digest.notifications] == ["王芳 把客户 华信科技 分配给了你"]
    assert (digest.overdue_count, digest.today_count, digest.unread_count) == (1, 1, 1)


@override_settings(GUANXI_BASE_URL="https://crm.example.com")
def test_the_digest_arrives_over_smtp_at_the_users_hour_in_chinese_once_a_day(db, smtp_server):
    user = digest_user()
    fill_the_day(user)

    seven = digests_send_due(now=EIGHT_IN_SHANGHAI - HOUR)
    first = digests_send_due(now=EIGHT_IN_SHANGHAI)
    second = digests_send_due(now=EIGHT_IN_SHANGHAI + datetime.timedelta(minutes=30))
    next_day = digests_send_due(now=EIGHT_IN_SHANGHAI + DAY)

    assert (seven.due, first.due, second.due, next_day.due) == (0, 1, 0, 1)
    assert len(smtp_server.messages) == 2
    received = smtp_server.messages[0]
    assert received["to"] == ["zhang.wei@example.com"]
    assert received["email"]["subject"] == "关系 CRM 每日摘要：2026年3月10日"
    text = received["email"].get_body(("plain",)).get_content()
    html = received["email"].get_body(("html",)).get_content()
    assert "已逾期（1）" in text
    assert "- 2026年3月9日 10:00 任务: 准备报价单 (华信科技有限公司)" in text
    assert "今天（1）" in text
    assert "- 2026年3月10日 14:00 会议: 季度回顾会议" in text
    assert "未读通知（1）" in text
    assert "https://crm.example.com/accounts/1/" in text
    assert "已完成的电话" not in text and "明天的拜访" not in text
    assert '<a href="https://crm.example.com/my-day/">' in html
    assert "季度回顾会议</a>" in html
    assert smtp_server.messages[1]["email"]["subject"] == "关系 CRM 每日摘要：2026年3月11日"
    preference = NotificationPreference.objects.get(user=user)
    assert preference.digest_last_sent_on == datetime.date(2026, 3, 11)


def test_each_user_gets_the_digest_at_their_own_hour_in_their_own_time_zone(db):
    shanghai = digest_user("li.na", language="en", zone="Asia/Shanghai", hour=8)
    berlin = digest_user("jonas", language="en", zone="Europe/Berlin", hour=8)
    for user in (shanghai, berlin):
        notify(recipient=user, title="Something to read")

    digests_send_due(now=EIGHT_IN_SHANGHAI)
    assert [message.to for message in mail.outbox] == [["li.na@example.com"]]
    assert mail.outbox[0].subject == "Your day in Guanxi: March 10, 2026"

    digests_send_due(now=EIGHT_IN_SHANGHAI + 7 * HOUR)  # 08:05 in Berlin
    assert [message.to for message in mail.outbox] == [["li.na@example.com"], ["jonas@example.com"]]


def test_users_with_nothing_to_say_or_without_the_digest_get_no_email(db):
    quiet = digest_user("quiet")
    not_wanted = UserFactory(username="not.wanted", time_zone="Asia/Shanghai")
    NotificationPreference.objects.create(user=not_wanted, digest_enabled=False, digest_hour=8)
    notify(recipient=not_wanted, title="Unread but no digest wanted")

    run = digests_send_due(now=EIGHT_IN_SHANGHAI, queue=False)

    assert (run.due, run.sent, run.empty) == (1, 0, 1)
    assert mail.outbox == []
    assert NotificationPreference.objects.get(user=quiet).digest_last_sent_on == datetime.date(
        2026, 3, 10
    )


def test_the_command_sends_one_users_digest_now(db):
    user = digest_user("wang.fang", language="en")
    notify(recipient=user, title="A customer was assigned to you")
    out = io.StringIO()

    call_command("send_digests", "--user", "wang.fang", stdout=out)

    assert out.getvalue().strip() == "sent=1"
    assert len(mail.outbox) == 1
    assert "A customer was assigned to you" in mail.outbox[0].body


def test_the_hourly_command_reports_what_it_did(db):
    call_command("send_digests", stdout=(out := io.StringIO()))
    assert out.getvalue().strip() == "due=0 sent=0 nothing_to_say=0 failed=0"
