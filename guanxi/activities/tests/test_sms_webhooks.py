"""Aliyun's pushes: delivery reports (SmsReport) and replies (SmsUp), with recorded payloads;
an unsubscribe reply withdraws consent and later sends are skipped."""

import datetime
import json

import pytest

from guanxi.activities import messaging
from guanxi.activities.choices import Channel, MessageStatus
from guanxi.activities.models import Activity, Message, MessageBatch, MessageTemplate
from guanxi.activities.sms.services import is_unsubscribe
from guanxi.activities.tests import fake_aliyun
from guanxi.customers.choices import ConsentChannel, ConsentStatus
from guanxi.customers.models import Consent
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "hook-token-123"
BIZ_ID = "900619746936498440^0"


@pytest.fixture(autouse=True)
def token(settings):
    settings.SMS_WEBHOOK_TOKEN = TOKEN


@pytest.fixture
def contact(user):
    account = AccountFactory(name="上海明远贸易有限公司", owner=user)
    return ContactFactory(account=account, owner=user, name="张伟", mobile="13800138000")


@pytest.fixture
def sent(user, contact):
    batch = MessageBatch.objects.create(channel=Channel.SMS, body="发货通知", total=1, sent_count=1)
    return Message.objects.create(
        channel=Channel.SMS,
        status=MessageStatus.SENT,
        batch=batch,
        contact=contact,
        account=contact.account,
        link_entity="contact",
        link_id=contact.pk,
        sender=user,
        to_address="13800138000",
        body="张伟您好，您的订单已发货。",
        provider="aliyun",
        provider_id=BIZ_ID,
    )


def push(client, kind, payload, token=TOKEN, provider="aliyun"):
    body = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return client.post(
        f"/webhooks/sms/{provider}/{token}/{kind}", body, content_type="application/json"
    )


def report(success=True, err_code="DELIVERED", err_msg="用户接收成功", biz_id=BIZ_ID):
    return [
        {
            "phone_number": "13800138000",
            "send_time": "2024-05-20 10:00:00",
            "report_time": "2024-05-20 10:00:05",
            "success": success,
            "err_code": err_code,
            "err_msg": err_msg,
            "sms_size": "1",
            "biz_id": biz_id,
            "out_id": "",
        }
    ]


def reply(content, sequence_id=1234567890, phone="13800138000"):
    return [
        {
            "phone_number": phone,
            "send_time": "2024-05-20 10:03:00",
            "content": content,
            "sign_name": "明远科技",
            "dest_code": "1234",
            "sequence_id": sequence_id,
        }
    ]


def test_delivery_report_marks_the_message_delivered(client, sent):
    response = push(client, "report", report())

    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "接收成功", "matched": 1, "unknown": 0}
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED
    assert sent.delivered_at == datetime.datetime(2024, 5, 20, 2, 0, 5, tzinfo=datetime.UTC)


def test_failed_report_fails_the_message_and_moves_the_batch_count(client, sent):
    response = push(client, "report", report(False, "UNDELIV", "用户关机"))

    assert response.json()["matched"] == 1
    sent.refresh_from_db()
    assert (sent.status, sent.last_error) == (MessageStatus.FAILED, "UNDELIV 用户关机")
    batch = MessageBatch.objects.get(pk=sent.batch_id)
    assert (batch.sent_count, batch.failed_count) == (0, 1)


def test_report_of_an_unknown_message_is_acknowledged_and_changes_nothing(client, sent):
    response = push(client, "report", report(biz_id="000000^0"))

    assert response.json() == {"code": 0, "msg": "接收成功", "matched": 0, "unknown": 1}
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT


def test_wrong_token_is_403_and_nothing_changes(client, sent):
    response = push(client, "report", report(), token="guess")

    assert response.status_code == 403
    assert response.json()["detail"] == "Wrong webhook token."
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT


@pytest.mark.parametrize(
    ("kind", "body", "detail"),
    [
        ("report", "not json at all", "The body is not valid JSON."),
        (
            "report",
            '{"foo": 1}',
            "Not a delivery report: each report needs biz_id and a boolean success",
        ),
        ("report", '"text"', "Not a delivery report: expected a JSON array of objects"),
        ("inbound", "[1, 2]", "Not an inbound SMS: expected a JSON array of objects"),
        (
            "inbound",
            '[{"phone_number": "abc", "content": "TD"}]',
            "Not an inbound SMS: each reply needs a valid phone_number and a content",
        ),
    ],
)
def test_malformed_push_is_400_with_the_reason(client, sent, kind, body, detail):
    response = push(client, kind, body)

    assert response.status_code == 400
    assert response.json()["detail"] == detail
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT
    assert Message.objects.count() == 1


def test_bad_time_in_a_report_is_400_and_no_report_is_applied(client, sent):
    payload = [*report(), {**report()[0], "report_time": "yesterday"}]

    response = push(client, "report", payload)

    assert response.status_code == 400
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT


def test_unknown_provider_is_404_and_get_is_405(client):
    assert push(client, "report", report(), provider="nosuch").status_code == 404
    assert client.get(f"/webhooks/sms/aliyun/{TOKEN}/report").status_code == 405


def test_reply_is_kept_threaded_and_logged_on_the_contacts_timeline(client, sent, contact, user):
    response = push(client, "inbound", reply("好的，收到，谢谢"))

    assert response.json() == {"code": 0, "msg": "接收成功", "received": 1}
    message = Message.objects.get(direction="in")
    assert (message.status, message.from_address, message.body) == (
        MessageStatus.RECEIVED,
        "+8613800138000",
        "好的，收到，谢谢",
    )
    assert (message.contact_id, message.account_id, message.thread_id) == (
        contact.pk,
        contact.account_id,
        sent.pk,
    )
    assert message.created_at == datetime.datetime(2024, 5, 20, 2, 3, tzinfo=datetime.UTC)
    activity = Activity.objects.get(pk=message.activity_id)
    assert (activity.kind, activity.subject, activity.owner_id) == (
        "sms",
        "好的，收到，谢谢",
        user.pk,
    )
    assert (activity.link_entity, activity.link_id, activity.account_id) == (
        "contact",
        contact.pk,
        contact.account_id,
    )
    assert Consent.objects.count() == 0


def test_a_repeated_push_is_kept_once(client, sent):
    push(client, "inbound", reply("好的"))
    response = push(client, "inbound", reply("好的"))

    assert response.json()["received"] == 0
    assert Message.objects.filter(direction="in").count() == 1
    assert Activity.objects.filter(kind="sms").count() == 1


def test_reply_from_an_unknown_number_is_kept_unmatched(client):
    push(client, "inbound", reply("请问怎么报名", phone="13912345678"))

    message = Message.objects.get(direction="in")
    assert (message.from_address, message.contact_id, message.activity_id) == (
        "+8613912345678",
        None,
        None,
    )


def test_unsubscribe_reply_opts_out_and_the_next_send_is_skipped(settings, client, user, contact):
    provider = fake_aliyun.FakeAliyun()
    settings.SMS_URL = provider.url()
    template = MessageTemplate.objects.create(
        channel=Channel.SMS,
        name="活动通知",
        body="{{ contact.name }}您好",
        provider_template="SMS_1",
    )
    try:
        first = messaging.message_queue(
            actor=user,
            channel=Channel.SMS,
            to_address=contact.mobile,
            contact=contact,
            template=template,
            body="张伟您好",
        )
        push(client, "report", report(biz_id=fake_aliyun.OK["BizId"]))
        response = push(client, "inbound", reply(" 退订。"))
        second = messaging.message_queue(
            actor=user,
            channel=Channel.SMS,
            to_address=contact.mobile,
            contact=contact,
            template=template,
            body="张伟您好",
        )
    finally:
        provider.close()

    assert response.status_code == 200
    first.refresh_from_db()
    assert first.status == MessageStatus.DELIVERED
    consent = Consent.objects.get(contact=contact)
    assert (consent.channel, consent.status, consent.source, consent.note) == (
        ConsentChannel.SMS,
        ConsentStatus.WITHDRAWN,
        "sms_reply",
        " 退订。",
    )
    assert second.status == MessageStatus.SKIPPED
    assert second.last_error == "The recipient opted out of this channel."
    assert len(provider.requests) == 1


def test_unsubscribe_applies_to_every_contact_with_the_number_once(client, user, contact):
    other = ContactFactory(owner=user, name="张伟（旧）", mobile="+86 138 0013 8000")

    push(client, "inbound", reply("TD"))
    push(client, "inbound", reply("td", sequence_id=2))

    assert sorted(Consent.objects.values_list("contact_id", "status")) == [
        (contact.pk, "withdrawn"),
        (other.pk, "withdrawn"),
    ]


@pytest.mark.parametrize(
    ("text", "unsubscribe"),
    [
        ("TD", True),
        ("td", True),
        ("ＴＤ", True),
        ("退订", True),
        ("退订！", True),
        ("N", True),
        ("Stop", True),
        ("UNSUBSCRIBE.", True),
        ("好的", False),
        ("No thanks, call me", False),
        ("请不要退订我", False),
        ("", False),
    ],
)
def test_unsubscribe_keywords(text, unsubscribe):
    assert is_unsubscribe(text) is unsubscribe
