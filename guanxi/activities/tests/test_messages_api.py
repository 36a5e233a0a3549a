"""The message API: send from a record (202), errors (400/404), the log, bulk sends, templates."""

import base64
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guanxi.activities.choices import Channel
from guanxi.activities.models import Message, MessageTemplate
from guanxi.api.auth import token_create
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def client_of(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


@pytest.fixture
def rep():
    user = UserFactory(username="sun.yang")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    grant(user, "activity", scope="own")
    return user


@pytest.fixture
def contact(rep):
    account = AccountFactory(name="杭州云帆科技有限公司", owner=rep)
    return ContactFactory(account=account, owner=rep, name="张伟", email="zw@yunfan.cn")


def test_send_email_answers_202_and_the_mail_arrives_with_its_attachment(smtp_server, rep, contact):
    response = post(
        client_of(rep),
        f"/api/v1/contacts/{contact.pk}/email",
        {
            "to": ["zw@yunfan.cn"],
            "cc": ["boss@guanxi.cn"],
            "subject": "资料 {{ contact.name }}",
            "body": "请查收。",
            "attachments": [
                {
                    "name": "产品手册.txt",
                    "content_type": "text/plain",
                    "content": base64.b64encode("手册".encode()).decode(),
                }
            ],
        },
    )

    assert response.status_code == 202
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["to_address"], item["contact"], item["subject"], item["cc"]) == (
        "zw@yunfan.cn",
        contact.pk,
        "资料 张伟",
        ["boss@guanxi.cn"],
    )
    assert [a["name"] for a in item["attachments"]] == ["产品手册.txt"]
    email = smtp_server.messages[0]["email"]
    assert email.get_payload()[1].get_content() == "手册"
    message = client_of(rep).get(f"/api/v1/messages/{item['id']}").json()
    assert (message["status"], message["attempts"]) == ("sent", 1)


def test_send_with_a_template_by_name(smtp_server, rep, contact):
    MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="Welcome",
        language="zh-hans",
        subject="欢迎",
        body="您好 {{ contact.name }}",
    )

    response = post(
        client_of(rep),
        f"/api/v1/accounts/{contact.account_id}/email",
        {"to": ["zw@yunfan.cn"], "template": "Welcome"},
    )

    assert response.status_code == 202
    assert smtp_server.messages[0]["email"].get_content().strip() == "您好 张伟"


def test_bad_input_answers_400_in_the_error_shape_in_the_callers_language(rep, contact):
    client = client_of(rep)
    response = post(
        client,
        f"/api/v1/contacts/{contact.pk}/email",
        {"to": ["nope"], "subject": "x", "body": "y"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "数据无效。", "errors": {"to": ["无效的地址：nope"]}}

    response = post(
        client,
        f"/api/v1/contacts/{contact.pk}/email",
        {"to": ["zw@yunfan.cn"], "subject": "", "body": "", "template": "missing"},
    )
    assert response.json()["errors"] == {"template": ["No such template."]}
    response = post(
        client,
        f"/api/v1/contacts/{contact.pk}/email",
        {"to": ["zw@yunfan.cn"], "attachments": [{"name": "a", "content": "!!"}], "body": "x"},
    )
    assert response.json()["errors"] == {"attachments.0.content": ["Not valid base64."]}
    assert Message.objects.count() == 0


def test_record_outside_scope_is_404_and_nothing_sent(rep, contact):
    other = UserFactory(username="other")
    grant(other, "contact", scope="own")
    grant(other, "activity", scope="own")

    response = post(
        client_of(other),
        f"/api/v1/contacts/{contact.pk}/email",
        {"to": ["zw@yunfan.cn"], "subject": "x", "body": "y"},
    )
    assert response.status_code == 404
    assert (
        post(
            client_of(other),
            f"/api/v1/contacts/{contact.pk}/sms",
            {"to": ["13900001111"], "body": "y"},
        ).status_code
        == 404
    )
    assert post(client_of(rep), "/api/v1/nothings/1/email", {"to": []}).status_code == 404
    assert Message.objects.count() == 0


def test_message_list_is_scoped_and_takes_a_fixed_number_of_queries(smtp_server, rep, contact):
    other = UserFactory(username="other")
    grant(other, "contact", scope="own")
    client = client_of(rep)
    for index in range(3):
        post(
            client,
            f"/api/v1/contacts/{contact.pk}/email",
            {"to": ["zw@yunfan.cn"], "subject": f"s{index}", "body": "b"},
        )

    with CaptureQueriesContext(connection) as three:
        response = client.get("/api/v1/messages?channel=email&status=sent")
    assert response.json()["count"] == 3
    for index in range(3):
        post(
            client,
            f"/api/v1/contacts/{contact.pk}/email",
            {"to": ["zw@yunfan.cn"], "subject": f"t{index}", "body": "b"},
        )
    with CaptureQueriesContext(connection) as six:
        response = client.get("/api/v1/messages?channel=email&status=sent")
    assert response.json()["count"] == 6
    assert len(six.captured_queries) == len(three.captured_queries)
    assert client_of(other).get("/api/v1/messages").json() == {
        "count": 0,
        "count_capped": False,
        "items": [],
    }
    message_id = response.json()["items"][0]["id"]
    assert client_of(other).get(f"/api/v1/messages/{message_id}").status_code == 404


def test_bulk_send_through_the_api_and_follow_its_progress(smtp_server, settings, rep, contact):
    settings.GUANXI_EMAIL_RATE = 0
    second = ContactFactory(account=contact.account, owner=rep, name="李娜", email="")
    client = client_of(rep)

    response = post(
        client,
        "/api/v1/message-batches",
        {
            "entity": "contact",
            "ids": [contact.pk, second.pk],
            "subject": "通知",
            "body": "{{ contact.name }}：五一放假安排",
        },
    )

    assert response.status_code == 202
    batch = response.json()
    progress = client.get(f"/api/v1/message-batches/{batch['id']}").json()
    assert {key: progress[key] for key in ("total", "sent", "failed", "skipped", "waiting")} == {
        "total": 2,
        "sent": 1,
        "failed": 0,
        "skipped": 1,
        "waiting": 0,
    }
    bad = post(client, "/api/v1/message-batches", {"entity": "order", "body": "x"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"entity", "ids"}


def test_templates_api_refuses_unknown_placeholders_and_non_admins(admin_user, rep):
    admin = client_of(admin_user)
    bad = post(
        admin,
        "/api/v1/message-templates",
        {"channel": "sms", "name": "生日", "body": "{{ contact.nickname }}生日快乐"},
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"body": ["Unknown placeholder: {{ contact.nickname }}"]}

    created = post(
        admin,
        "/api/v1/message-templates",
        {
            "channel": "sms",
            "name": "生日",
            "language": "zh-hans",
            "body": "{{ contact.name }}生日快乐",
            "provider_template": "SMS_1234",
        },
    )
    assert created.status_code == 201
    assert created.json()["provider_template"] == "SMS_1234"
    assert (
        post(
            client_of(rep),
            "/api/v1/message-templates",
            {"channel": "sms", "name": "x", "body": "y"},
        ).status_code
        == 403
    )
    listed = client_of(rep).get("/api/v1/message-templates?channel=sms").json()
    assert [item["name"] for item in listed["items"]] == ["生日"]
    pk = created.json()["id"]
    changed = admin.patch(
        f"/api/v1/message-templates/{pk}", json.dumps({"is_active": False}), "application/json"
    )
    assert changed.json()["is_active"] is False
    assert admin.delete(f"/api/v1/message-templates/{pk}").status_code == 204
    assert MessageTemplate.objects.count() == 0
