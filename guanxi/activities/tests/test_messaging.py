"""The channel layer: queueing, delivery over real SMTP, opt-outs, retries and failures."""

import datetime

import pytest
from django.utils import timezone

from guanxi.activities import messaging
from guanxi.activities.choices import Channel, MessageStatus
from guanxi.activities.models import Activity, Message, MessageBatch, MessageTemplate
from guanxi.core.models import Notification
from guanxi.customers.choices import ConsentChannel, ConsentStatus
from guanxi.customers.privacy import consent_record
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contact(user):
    account = AccountFactory(name="上海明远贸易有限公司", owner=user)
    return ContactFactory(account=account, owner=user, name="张伟", email="zhang.wei@example.cn")


def test_email_is_delivered_over_smtp_and_logged_on_the_timeline(smtp_server, user, contact):
    message = messaging.message_queue(
        actor=user,
        channel=Channel.EMAIL,
        to_address=contact.email,
        subject="报价确认 Quote confirmation",
        body="张经理您好，附上报价。",
        record=contact.account,
        contact=contact,
    )

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 1
    assert [received["to"] for received in smtp_server.messages] == [["zhang.wei@example.cn"]]
    sent = smtp_server.messages[0]["email"]
    assert sent["Subject"] == "报价确认 Quote confirmation"
    assert sent["Message-ID"] == message.message_id
    assert sent.get_content().strip() == "张经理您好，附上报价。"
    activity = Activity.objects.get(pk=message.activity_id)
    assert (activity.kind, activity.status, activity.account_id) == (
        "email",
        "done",
        contact.account_id,
    )
    assert list(activity.participant_contacts.values_list("pk", flat=True)) == [contact.pk]


def test_reply_carries_threading_headers(smtp_server, user, contact):
    messaging.message_queue(
        actor=user,
        channel=Channel.EMAIL,
        to_address=contact.email,
        subject="Re: 询价",
        body="收到",
        contact=contact,
        in_reply_to="<abc@mail.example.cn>",
    )

    sent = smtp_server.messages[0]["email"]
    assert sent["In-Reply-To"] == "<abc@mail.example.cn>"
    assert sent["References"] == "<abc@mail.example.cn>"


def test_opted_out_contact_is_skipped_and_nothing_is_sent(smtp_server, user, contact):
    consent_record(
        actor=user, person=contact, channel=ConsentChannel.EMAIL, status=ConsentStatus.WITHDRAWN
    )
    batch = MessageBatch.objects.create(channel=Channel.EMAIL, subject="Newsletter", total=1)

    message = messaging.message_queue(
        actor=user,
        channel=Channel.EMAIL,
        to_address=contact.email,
        subject="Newsletter",
        body="...",
        contact=contact,
        batch=batch,
    )

    assert message.status == MessageStatus.SKIPPED
    assert message.last_error == "The recipient opted out of this channel."
    assert smtp_server.messages == []
    batch.refresh_from_db()
    assert (batch.skipped_count, batch.sent_count, batch.finished) == (1, 0, True)


def test_server_down_is_retried_with_backoff_then_failed_and_the_sender_told(
    settings, closed_port, user, contact
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    message = messaging.message_queue(
        actor=user, channel=Channel.EMAIL, to_address=contact.email, subject="Hi", contact=contact
    )

    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert "ConnectionRefusedError" in message.last_error
    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 50 < wait <= 60
    # Not due yet: the sweeper leaves it alone.
    assert messaging.messages_due() == []

    for attempt in range(2, messaging.MAX_ATTEMPTS + 1):
        later = message.next_attempt_at + datetime.timedelta(seconds=1)
        assert messaging.messages_due(now=later) == [message.pk]
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        messaging.message_deliver(message.pk)
        message.refresh_from_db()
        assert message.attempts == attempt

    assert message.status == MessageStatus.FAILED
    assert message.next_attempt_at is None
    notification = Notification.objects.get(recipient=user)
    assert notification.title == f"Could not send Email to {contact.email}"


def test_refused_mailbox_fails_at_once(smtp_server, user, contact):
    smtp_server.refuse.add(contact.email)

    message = messaging.message_queue(
        actor=user, channel=Channel.EMAIL, to_address=contact.email, subject="Hi", contact=contact
    )

    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert message.last_error == f"{contact.email}: 550 5.1.1 Mailbox unavailable"


def test_a_message_is_sent_once_however_often_delivery_runs(smtp_server, user, contact):
    message = messaging.message_queue(
        actor=user, channel=Channel.EMAIL, to_address=contact.email, subject="Hi", contact=contact
    )

    assert messaging.message_deliver(message.pk) is None
    assert len(smtp_server.messages) == 1


def test_template_is_filled_from_record_contact_and_user(user, contact):
    user.first_name, user.last_name = "丽", "王"
    template = MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="Quote",
        subject="{{ account.name }} 的报价",
        body="{{ contact.name }}您好，我是{{ user.name }}。{{ nothing.here }}",
    )

    subject, body = messaging.render_template(
        template, record=contact.account, contact=contact, user=user
    )

    assert subject == "上海明远贸易有限公司 的报价"
    assert body.startswith("张伟您好，我是")
    assert body.endswith("。")


def test_delivery_report_marks_delivered_or_failed(user, contact):
    batch = MessageBatch.objects.create(channel=Channel.SMS, body="hi", total=2, sent_count=2)
    first, second = (
        Message.objects.create(
            channel=Channel.SMS,
            to_address="+8613812345678",
            status=MessageStatus.SENT,
            provider="test",
            provider_id=provider_id,
            batch=batch,
        )
        for provider_id in ("a1", "a2")
    )

    messaging.message_update_delivery(provider="test", provider_id="a1", delivered=True)
    messaging.message_update_delivery(
        provider="test", provider_id="a2", delivered=False, reason="UNDELIV"
    )

    first.refresh_from_db()
    second.refresh_from_db()
    batch.refresh_from_db()
    assert (first.status, second.status, second.last_error) == ("delivered", "failed", "UNDELIV")
    assert (batch.sent_count, batch.failed_count) == (1, 1)
    assert (
        messaging.message_update_delivery(provider="test", provider_id="zz", delivered=True) is None
    )
