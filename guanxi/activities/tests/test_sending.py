"""Sending from a record: email over real SMTP, templates by language, attachments, SMS."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.activities import channels, sending
from guanxi.activities.channels import Delivery
from guanxi.activities.choices import Channel, MessageStatus
from guanxi.activities.models import Activity, Message, MessageTemplate
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.choices import ConsentChannel, ConsentStatus
from guanxi.customers.privacy import consent_record
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


class RecordingSmsSender:
    """Stand in for an SMS provider: keep what would have been sent."""

    sent: list = []

    def send(self, message):
        RecordingSmsSender.sent.append((message.to_address, message.body))
        return Delivery(provider="test-sms", provider_id=f"sms-{message.pk}")


@pytest.fixture
def sms_sender():
    previous = channels._factories.get(Channel.SMS)
    RecordingSmsSender.sent = []
    channels.register_sender(Channel.SMS, RecordingSmsSender)
    yield RecordingSmsSender
    if previous is None:
        channels._factories.pop(Channel.SMS, None)
    else:
        channels.register_sender(Channel.SMS, previous)


@pytest.fixture
def rep():
    user = UserFactory(username="wang.li", first_name="丽", last_name="王", email="wl@guanxi.cn")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    grant(user, "activity", scope="own")
    return user


@pytest.fixture
def account(rep):
    return AccountFactory(name="上海明远贸易有限公司", owner=rep, email="office@mingyuan.cn")


@pytest.fixture
def zhang(rep, account):
    return ContactFactory(
        account=account, owner=rep, name="张伟", email="zhang.wei@mingyuan.cn", is_primary=True
    )


@pytest.fixture
def smith(rep, account):
    return ContactFactory(account=account, owner=rep, name="John Smith", email="john@mingyuan.cn")


@pytest.fixture
def quote_templates():
    zh = MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="报价跟进",
        language="zh-hans",
        subject="{{ account.name }} 的报价",
        body="{{ contact.name }}您好，我是{{ user.name }}。",
    )
    en = MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="报价跟进",
        language="en",
        subject="Your quote, {{ account.name }}",
        body="Dear {{ contact.name }}, this is {{ user.email }}.",
    )
    return zh, en


def test_email_from_a_customer_reaches_each_contact_with_cc_and_attachment(
    smtp_server, rep, account, zhang, smith
):
    recipients = sending.resolve_recipients(
        account, rep, Channel.EMAIL, ["zhang.wei@mingyuan.cn", "JOHN@mingyuan.cn", "x@partner.com"]
    )
    messages = sending.messages_send(
        actor=rep,
        channel=Channel.EMAIL,
        record=account,
        recipients=recipients,
        subject="报价单 Quote",
        body="{{ contact.name }}，请查收附件。",
        cc=["boss@guanxi.cn"],
        uploads=[sending.Upload("报价单.pdf", "application/pdf", b"%PDF-1.4 quote")],
    )

    assert [m.contact_id for m in messages] == [zhang.pk, smith.pk, None]
    assert [received["to"] for received in smtp_server.messages] == [
        ["zhang.wei@mingyuan.cn", "boss@guanxi.cn"],
        ["john@mingyuan.cn", "boss@guanxi.cn"],
        ["x@partner.com", "boss@guanxi.cn"],
    ]
    first = smtp_server.messages[0]["email"]
    assert first["Cc"] == "boss@guanxi.cn"
    body, attachment = list(first.iter_parts())
    assert body.get_content().strip() == "张伟，请查收附件。"
    assert attachment.get_filename() == "报价单.pdf"
    assert attachment.get_content() == b"%PDF-1.4 quote"
    assert smtp_server.messages[2]["email"].get_body().get_content().strip() == "，请查收附件。"
    sent = Message.objects.filter(status=MessageStatus.SENT).count()
    assert sent == 3
    # Each sent email is on the customer's timeline as an email activity.
    assert (
        list(
            Activity.objects.filter(account=account, kind="email").values_list("subject", flat=True)
        )
        == ["报价单 Quote"] * 3
    )


def test_template_is_chosen_in_each_recipients_language(
    smtp_server, rep, account, zhang, smith, quote_templates
):
    zh, _en = quote_templates
    recipients = sending.resolve_recipients(account, rep, Channel.EMAIL, [zhang.email, smith.email])

    sending.messages_send(
        actor=rep, channel=Channel.EMAIL, record=account, recipients=recipients, template=zh
    )

    chinese, english = (received["email"] for received in smtp_server.messages)
    assert chinese["Subject"] == "上海明远贸易有限公司 的报价"
    assert chinese.get_content().strip() == "张伟您好，我是王丽。"
    assert english["Subject"] == "Your quote, 上海明远贸易有限公司"
    assert english.get_content().strip() == "Dear John Smith, this is wl@guanxi.cn."


def test_opted_out_contact_is_skipped(smtp_server, rep, account, zhang):
    consent_record(
        actor=rep, person=zhang, channel=ConsentChannel.EMAIL, status=ConsentStatus.WITHDRAWN
    )
    recipients = sending.resolve_recipients(account, rep, Channel.EMAIL, [zhang.email])

    [message] = sending.messages_send(
        actor=rep,
        channel=Channel.EMAIL,
        record=account,
        recipients=recipients,
        subject="Hi",
        body="x",
    )

    assert (message.status, message.last_error) == (
        MessageStatus.SKIPPED,
        "The recipient opted out of this channel.",
    )
    assert smtp_server.messages == []


def test_bad_input_is_refused_with_every_reason_and_nothing_written(rep, account, zhang):
    with pytest.raises(sending.ValidationError) as refused:
        sending.resolve_recipients(account, rep, Channel.EMAIL, ["not-an-address", zhang.email])
    assert refused.value.message_dict == {"to": ["Not a valid address: not-an-address"]}

    recipients = sending.resolve_recipients(account, rep, Channel.EMAIL, [zhang.email])
    big = sending.Upload("big.zip", "application/zip", b"0" * (sending.MAX_ATTACHMENT_BYTES + 1))
    with pytest.raises(sending.ValidationError) as refused:
        sending.messages_send(
            actor=rep,
            channel=Channel.EMAIL,
            record=account,
            recipients=recipients,
            subject="{{ account.nickname }}",
            body="x",
            cc=["nope"],
            uploads=[big],
        )
    assert refused.value.message_dict == {"cc": ["Not a valid address: nope"]}
    with pytest.raises(sending.ValidationError) as refused:
        sending.messages_send(
            actor=rep,
            channel=Channel.EMAIL,
            record=account,
            recipients=recipients,
            subject="{{ account.nickname }}",
            body="x",
        )
    assert refused.value.message_dict == {
        "subject": ["Unknown placeholder: {{ account.nickname }}"]
    }
    with pytest.raises(sending.ValidationError) as refused:
        sending.messages_send(
            actor=rep,
            channel=Channel.EMAIL,
            record=account,
            recipients=recipients,
            subject="s",
            body="x",
            uploads=[big, big, big],
        )
    assert refused.value.message_dict == {
        "attachments": ["“big.zip” is too large: each attachment may be up to 10 MB."] * 3
        + ["The attachments together may be up to 25 MB."]
    }
    assert Message.objects.count() == 0


def test_sms_goes_through_the_sms_channel_and_is_logged(sms_sender, rep, account, zhang):
    recipients = sending.resolve_recipients(account, rep, Channel.SMS, [zhang.mobile])

    [message] = sending.messages_send(
        actor=rep,
        channel=Channel.SMS,
        record=account,
        recipients=recipients,
        body="{{ contact.name }}您好，样品已寄出。",
    )

    assert sms_sender.sent == [(zhang.mobile, "张伟您好，样品已寄出。")]
    message.refresh_from_db()
    assert (message.status, message.provider, message.contact_id) == ("sent", "test-sms", zhang.pk)
    assert Activity.objects.get(pk=message.activity_id).kind == "sms"


def test_sms_length_counts_segments_like_the_networks():
    assert sending.sms_length("Hello") == sending.SmsLength("GSM-7", 5, 1)
    assert sending.sms_length("a" * 160).segments == 1
    assert sending.sms_length("a" * 161).segments == 2
    assert sending.sms_length("a" * 306).segments == 2
    assert sending.sms_length("a" * 307).segments == 3
    assert sending.sms_length("€") == sending.SmsLength("GSM-7", 2, 1)
    assert sending.sms_length("您" * 70) == sending.SmsLength("UCS-2", 70, 1)
    assert sending.sms_length("您" * 71).segments == 2
    assert sending.sms_length("您" * 134).segments == 2
    assert sending.sms_length("您" * 135).segments == 3
    assert sending.sms_length("") == sending.SmsLength("GSM-7", 0, 0)


def test_meeting_invitation_carries_an_ics_request(smtp_server, rep, account, zhang, smith):
    import datetime
    import zoneinfo

    start = datetime.datetime(2026, 12, 1, 14, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    meeting = ActivityFactory(
        owner=rep,
        kind="meeting",
        subject="技术交流会",
        location="客户总部",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        link_entity="account",
        link_id=account.pk,
        account=account,
    )
    meeting.participant_contacts.set([zhang, smith])

    messages = sending.invitation_send(actor=rep, activity=meeting)

    assert sorted(m.to_address for m in messages) == ["john@mingyuan.cn", "zhang.wei@mingyuan.cn"]
    email = smtp_server.messages[0]["email"]
    assert email["Subject"] == "Invitation: 技术交流会"
    calendar = [part for part in email.iter_attachments() if part.get_filename() == "invite.ics"]
    text = calendar[0].get_content()
    text = text.decode() if isinstance(text, bytes) else text
    assert "METHOD:REQUEST" in text
    assert "DTSTART:20261201T060000Z" in text
    assert 'ATTENDEE;CN="张伟"' in text
    assert calendar[0].get_content_type() == "text/calendar"


def test_uploaded_files_are_stored_once_for_all_recipients(smtp_server, rep, account, zhang, smith):
    upload = SimpleUploadedFile("brochure.txt", b"brochure", content_type="text/plain")
    recipients = sending.resolve_recipients(account, rep, Channel.EMAIL, [zhang.email, smith.email])

    messages = sending.messages_send(
        actor=rep,
        channel=Channel.EMAIL,
        record=account,
        recipients=recipients,
        subject="Brochure",
        body="See attached.",
        uploads=[sending.Upload.from_file(upload)],
    )

    names = {m.attachments.get().file.name for m in messages}
    assert len(names) == 1
    assert [r["email"].get_payload()[1].get_content() for r in smtp_server.messages] == [
        "brochure",
        "brochure",
    ]
