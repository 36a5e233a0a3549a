"""The SMS channel's development backends, segment counting, settings screen and API."""

import json
import logging

import pytest
from django.test import Client

from guanxi.activities import messaging
from guanxi.activities.choices import Channel, MessageStatus
from guanxi.activities.models import Message, MessageTemplate
from guanxi.activities.sms.segments import sms_segments
from guanxi.activities.tests import fake_aliyun
from guanxi.api.auth import token_create
from guanxi.customers.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contact(user):
    return ContactFactory(owner=user, name="李娜", mobile="139-1234-5678")


def test_console_backend_logs_the_sms_with_its_signature(settings, caplog, user, contact):
    settings.SMS_URL = "console://?sign_name=%E6%98%8E%E8%BF%9C"
    with caplog.at_level(logging.INFO, logger="guanxi.sms"):
        message = messaging.message_queue(
            actor=user, channel=Channel.SMS, to_address=contact.mobile, body="您好", contact=contact
        )

    message.refresh_from_db()
    assert (message.status, message.provider) == (MessageStatus.SENT, "console")
    [record] = [r for r in caplog.records if r.name == "guanxi.sms"]
    assert record.getMessage() == (
        f"SMS to +8613912345678 (1 part(s), id {message.provider_id}):\n【明远】您好"
    )


def test_file_backend_writes_one_json_file_per_message(settings, tmp_path, user, contact):
    settings.SMS_URL = f"file://{tmp_path}/outbox?sign_name=%E6%98%8E%E8%BF%9C"
    template = MessageTemplate.objects.create(
        channel=Channel.SMS, name="问候", body="{{ contact.name }}您好", provider_template="SMS_9"
    )
    message = messaging.message_queue(
        actor=user,
        channel=Channel.SMS,
        to_address=contact.mobile,
        contact=contact,
        template=template,
    )

    message.refresh_from_db()
    [path] = (tmp_path / "outbox").iterdir()
    written = json.loads(path.read_text())
    assert message.status == MessageStatus.SENT
    assert {key: written[key] for key in written if key != "sent_at"} == {
        "id": message.provider_id,
        "to": "+8613912345678",
        "text": "【明远】李娜您好",
        "sign_name": "明远",
        "template_code": "SMS_9",
        "template_params": {"contact_name": "李娜"},
        "reference": str(message.pk),
        "encoding": "UCS-2",
        "parts": 1,
    }


@pytest.mark.parametrize(
    ("text", "signature", "expected"),
    [
        ("", "", ("GSM-7", 0, 0, 160, 160)),
        ("Hello", "", ("GSM-7", 5, 1, 160, 155)),
        ("a" * 160, "", ("GSM-7", 160, 1, 160, 0)),
        ("a" * 161, "", ("GSM-7", 161, 2, 153, 145)),
        ("a" * 306, "", ("GSM-7", 306, 2, 153, 0)),
        ("a" * 307, "", ("GSM-7", 307, 3, 153, 152)),
        ("Price: 5€ [ok]", "", ("GSM-7", 17, 1, 160, 143)),
        # An extension character is never split over two parts.
        ("a" * 152 + "€" + "a" * 10, "", ("GSM-7", 164, 2, 153, 141)),
        ("您" * 70, "", ("UCS-2", 70, 1, 70, 0)),
        ("您" * 71, "", ("UCS-2", 71, 2, 67, 63)),
        ("Hello 😀", "", ("UCS-2", 8, 1, 70, 62)),
        # The signature 【明远科技】 takes 6 places of the 70.
        ("您" * 64, "明远科技", ("UCS-2", 70, 1, 70, 0)),
        ("您" * 65, "明远科技", ("UCS-2", 71, 2, 67, 63)),
        ("Hi", "Acme", ("UCS-2", 8, 1, 70, 62)),
    ],
)
def test_segments(text, signature, expected):
    segments = sms_segments(text, signature)
    assert (
        segments.encoding,
        segments.length,
        segments.parts,
        segments.per_part,
        segments.remaining,
    ) == expected


@pytest.fixture
def aliyun(settings):
    settings.SMS_WEBHOOK_TOKEN = "tok-abc"
    provider = fake_aliyun.FakeAliyun()
    settings.SMS_URL = provider.url()
    yield provider
    provider.close()


def test_settings_screen_shows_backend_masked_webhooks_and_stats(
    admin_client, aliyun, user, contact, django_assert_num_queries
):
    Message.objects.create(channel=Channel.SMS, status="delivered", to_address="1", contact=contact)
    Message.objects.create(channel=Channel.SMS, status="failed", to_address="2", contact=contact)
    Message.objects.create(channel=Channel.SMS, status="sent", to_address="3")
    Message.objects.create(channel=Channel.SMS, status="received", direction="in", to_address="x")
    Message.objects.create(channel=Channel.EMAIL, status="failed", to_address="a@b.cn")

    with django_assert_num_queries(7):
        response = admin_client.get("/settings/sms/")

    html = response.content.decode()
    assert response.status_code == 200
    assert fake_aliyun.SECRET not in html
    assert f"aliyun+http://{fake_aliyun.KEY_ID}:••••••@127.0.0.1:{aliyun.port}" in html
    assert 'value="http://testserver/webhooks/sms/aliyun/tok-abc/report"' in html
    assert 'value="http://testserver/webhooks/sms/aliyun/tok-abc/inbound"' in html
    stats = response.context["stats"]
    assert (stats.sent, stats.delivered, stats.failed, stats.received, stats.total) == (
        1,
        1,
        1,
        1,
        3,
    )


def test_settings_screen_is_for_administrators_only(client_for, user):
    assert client_for(user).get("/settings/sms/").status_code == 403


def test_test_sms_form_needs_a_template_on_aliyun(admin_client, aliyun):
    response = admin_client.post("/settings/sms/", {"to": "13912345678", "text": "测试"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "template": [
            "The SMS provider sends only templates it approved: choose a template that has "
            "the provider's template code."
        ]
    }
    assert Message.objects.count() == 0


def test_test_sms_form_sends_through_the_provider(admin_client, aliyun):
    template = MessageTemplate.objects.create(
        channel=Channel.SMS, name="测试", body="测试短信 {{ user.name }}", provider_template="SMS_7"
    )

    response = admin_client.post(
        "/settings/sms/", {"to": "139 1234 5678", "template": template.pk}, follow=True
    )

    message = Message.objects.get()
    assert (message.status, message.to_address, message.provider) == (
        "sent",
        "+8613912345678",
        "aliyun",
    )
    assert [r["TemplateParam"] for r in aliyun.requests] == ['{"user_name":"admin"}']
    assert "Test SMS to +8613912345678: Sent." in response.content.decode()


def test_segment_counter_answers_the_parts(admin_client, settings):
    settings.SMS_URL = "console://?sign_name=%E6%98%8E%E8%BF%9C"
    response = admin_client.post("/settings/sms/segments/", {"text": "您" * 67})

    assert response.content.decode().strip() == "71 characters (UCS-2), 2 SMS, 63 left in the last"


@pytest.fixture
def admin_api(admin_user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=admin_user)}")


def test_api_settings_for_admins(admin_api, aliyun, client_for, user):
    response = admin_api.get("/api/v1/sms/settings")

    assert response.status_code == 200
    body = response.json()
    assert body["backend"] == "aliyun"
    assert body["url"] == (
        f"aliyun+http://{fake_aliyun.KEY_ID}:••••••@127.0.0.1:{aliyun.port}?sign_name=%E6%98%8E%E8%BF%9C%E7%A7%91%E6%8A%80"
    )
    assert body["webhooks"] == {
        "report": "http://testserver/webhooks/sms/aliyun/tok-abc/report",
        "inbound": "http://testserver/webhooks/sms/aliyun/tok-abc/inbound",
    }
    assert body["stats"] == {
        "days": 7,
        "queued": 0,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "skipped": 0,
        "received": 0,
    }
    rep_api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")
    assert rep_api.get("/api/v1/sms/settings").status_code == 403


def test_api_test_sms(admin_api, settings, tmp_path):
    settings.SMS_URL = f"file://{tmp_path}"

    response = admin_api.post(
        "/api/v1/sms/test", {"to": "13912345678", "text": "测试"}, content_type="application/json"
    )
    bad = admin_api.post(
        "/api/v1/sms/test", {"to": "123", "text": "x"}, content_type="application/json"
    )

    message = Message.objects.get()
    assert response.status_code == 202
    assert response.json() == {
        "id": message.pk,
        "to": "+8613912345678",
        "status": "sent",
        "error": "",
    }
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"to": ["Enter a valid mobile number."]}


def test_api_segments(admin_api, settings):
    settings.SMS_URL = "console://?sign_name=Acme"
    response = admin_api.post(
        "/api/v1/sms/segments", {"text": "Hi"}, content_type="application/json"
    )

    assert response.json() == {
        "encoding": "UCS-2",
        "length": 8,
        "parts": 1,
        "per_part": 70,
        "remaining": 62,
    }


def test_settings_screen_and_segment_counter_in_chinese(admin_client, aliyun):
    admin_client.post("/language/", {"language": "zh-hans"})
    page = admin_client.get("/settings/sms/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    counter = admin_client.post(
        "/settings/sms/segments/", {"text": "您好"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    assert "阿里云短信" in page
    assert "占位符（如 {{ contact.name }}）作为参数 ${contact_name} 发送。" in page
    assert "最近 7 天" in page
    assert counter.strip() == "8 个字符（UCS-2），共 1 条短信，末条还可输入 62 个字符"
