"""The message screens: templates in settings, compose from a record, the log, resend."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.activities import sending
from guanxi.activities.choices import Channel
from guanxi.activities.models import Activity, Message, MessageTemplate
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rep():
    user = UserFactory(username="he.jing")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    grant(user, "activity", scope="own")
    return user


@pytest.fixture
def contact(rep):
    account = AccountFactory(name="杭州云帆科技有限公司", owner=rep)
    return ContactFactory(account=account, owner=rep, name="张伟", email="zw@yunfan.cn")


def test_template_settings_refuse_unknown_placeholders_in_the_users_language(
    admin_user, admin_client
):
    admin_user.language = "zh-hans"
    admin_user.save()
    response = admin_client.post(
        reverse("web:message_template_create"),
        {
            "channel": "email",
            "name": "报价",
            "language": "zh-hans",
            "subject": "",
            "body": "{{ deal.amount }}",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "未知的占位符：{{ deal.amount }}" in content
    assert "邮件模板需要主题。" in content
    assert MessageTemplate.objects.count() == 0

    response = admin_client.post(
        reverse("web:message_template_create"),
        {
            "channel": "email",
            "name": "报价",
            "language": "zh-hans",
            "subject": "报价 {{ account.name }}",
            "body": "您好",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    listed = admin_client.get(reverse("web:message_template_list") + "?channel=email")
    assert "报价" in listed.content.decode()
    assert (
        "{{ contact.birthday }}"
        in admin_client.get(reverse("web:message_template_create")).content.decode()
    )


def test_template_settings_are_for_administrators(client_for, rep):
    assert client_for(rep).get(reverse("web:message_template_list")).status_code == 403


def test_send_email_from_a_contact_page_queues_and_logs_it(smtp_server, client_for, rep, contact):
    client = client_for(rep)
    page = client.get(reverse("web:contact_detail", args=[contact.pk])).content.decode()
    assert 'data-testid="send-email"' in page
    url = reverse("web:message_compose", args=["email", "contact", contact.pk])
    form = client.get(url).content.decode()
    assert "张伟 &lt;zw@yunfan.cn&gt;" in form

    response = client.post(
        url,
        {
            "to": ["zw@yunfan.cn"],
            "other": "li@partner.com; wang@partner.com",
            "subject": "样品寄送 {{ contact.name }}",
            "body": "已寄出。",
            "attachments": [SimpleUploadedFile("清单.txt", b"list", content_type="text/plain")],
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/?tab=messages"
    assert sorted(r["to"][0] for r in smtp_server.messages) == [
        "li@partner.com",
        "wang@partner.com",
        "zw@yunfan.cn",
    ]
    assert (
        Activity.objects.filter(kind="email", link_entity="contact", link_id=contact.pk).count()
        == 3
    )
    tab = client.get(f"/contacts/{contact.pk}/?tab=messages").content.decode()
    assert tab.count("样品寄送 张伟") == 3


def test_compose_refuses_oversized_attachments_with_a_clear_error(
    client_for, rep, contact, monkeypatch
):
    monkeypatch.setattr(sending, "MAX_ATTACHMENT_BYTES", 10)
    response = client_for(rep).post(
        reverse("web:message_compose", args=["email", "contact", contact.pk]),
        {
            "to": ["zw@yunfan.cn"],
            "subject": "s",
            "body": "b",
            "attachments": [SimpleUploadedFile("big.pdf", b"x" * 11)],
        },
    )
    assert response.status_code == 400
    assert "“big.pdf” is too large: each attachment may be up to 0 MB." in response.content.decode()
    assert Message.objects.count() == 0


def test_sms_form_counts_characters_in_the_users_language(client_for, rep, contact):
    rep.language = "zh-hans"
    rep.save()
    page = client_for(rep).get(reverse("web:message_compose", args=["sms", "contact", contact.pk]))
    assert (
        'data-label="%(chars)s 个字符 · %(segments)s 条短信 · %(encoding)s"'
        in page.content.decode()
    )


def test_choosing_a_template_fills_subject_and_text(client_for, rep, contact):
    template = MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="Visit",
        subject="拜访 {{ account.name }}",
        body="{{ contact.name }}您好",
    )
    response = client_for(rep).get(
        reverse("web:message_compose_template", args=["email", "contact", contact.pk]),
        {"template": template.pk},
    )
    content = response.content.decode()
    assert 'value="拜访 {{ account.name }}"' in content
    assert "拜访 杭州云帆科技有限公司" in content
    assert "张伟您好" in content


def test_another_rep_cannot_send_from_a_record_outside_scope(client_for, rep, contact):
    other = UserFactory(username="other")
    grant(other, "contact", scope="own")
    grant(other, "activity", scope="own")
    url = reverse("web:message_compose", args=["email", "contact", contact.pk])
    assert client_for(other).get(url).status_code == 404
    assert (
        client_for(other)
        .post(url, {"to": ["zw@yunfan.cn"], "subject": "s", "body": "b"})
        .status_code
        == 404
    )
    assert Message.objects.count() == 0


def test_message_log_is_scoped_filtered_and_takes_fixed_queries(
    smtp_server, client_for, rep, contact
):
    def send(count):
        recipients = sending.resolve_recipients(contact, rep, Channel.EMAIL, [contact.email])
        for index in range(count):
            sending.messages_send(
                actor=rep,
                channel=Channel.EMAIL,
                record=contact,
                recipients=recipients,
                subject=f"s{index}",
                body="b",
            )

    client = client_for(rep)
    send(2)
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("web:message_list"), {"status": "sent", "channel": "email"})
    send(3)
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("web:message_list"), {"status": "sent", "channel": "email"})
    assert response.content.decode().count('data-testid="status-') == 5
    assert len(five.captured_queries) == len(two.captured_queries)
    assert (
        "No messages."
        in client.get(reverse("web:message_list"), {"status": "failed"}).content.decode()
    )
    other = UserFactory(username="other")
    grant(other, "contact", scope="own")
    assert (
        'data-testid="status-'
        not in client_for(other).get(reverse("web:message_list")).content.decode()
    )
    message = Message.objects.first()
    assert (
        client_for(other).get(reverse("web:message_detail", args=[message.pk])).status_code == 404
    )


def test_a_failed_message_can_be_sent_again(smtp_server, client_for, rep, contact):
    smtp_server.refuse.add(contact.email)
    recipients = sending.resolve_recipients(contact, rep, Channel.EMAIL, [contact.email])
    [failed] = sending.messages_send(
        actor=rep,
        channel=Channel.EMAIL,
        record=contact,
        recipients=recipients,
        subject="s",
        body="b",
    )
    page = client_for(rep).get(reverse("web:message_detail", args=[failed.pk])).content.decode()
    assert "550 5.1.1 Mailbox unavailable" in page
    smtp_server.refuse.clear()

    response = client_for(rep).post(reverse("web:message_resend", args=[failed.pk]))

    again = Message.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == f"/messages/{again.pk}/"
    assert again.status == "sent"
    failed.refresh_from_db()
    assert failed.status == "failed"
