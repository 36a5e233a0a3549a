"""Incoming email fetched from a real IMAP server (dovecot started by the test)."""

from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from guanxi.activities import inbound, mail_fetch, messaging
from guanxi.activities.choices import MailSecurity
from guanxi.activities.mail_parser import parse_mail
from guanxi.activities.models import Activity, Mailbox, Message
from guanxi.core.dedupe import engine
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

WANG = '"{}" <Wang.Fang@Example.cn>'.format(Header("王芳", "gb2312").encode())


def gbk_mail(
    *,
    sender=WANG,
    to="sales@guanxi.test",
    subject="关于报价单的回复",
    body="您好，报价已收到。镕基的价格请再确认。",
    message_id="<reply-1@mail.example.cn>",
    attachment=("报价单.pdf", b"%PDF-1.4 quote"),
    headers=(),
) -> bytes:
    """Return an email as a Chinese mail client writes it: GB2312 labels over GBK text."""
    mail = MIMEMultipart()
    mail["Subject"] = Header(subject, "gbk").encode()
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = "Tue, 01 Dec 2026 10:00:00 +0800"
    if message_id:
        mail["Message-ID"] = message_id
    for name, value in headers:
        mail[name] = value
    mail.attach(MIMEText(body, "plain", "gbk"))
    if attachment:
        part = MIMEApplication(attachment[1], "pdf")
        part.add_header("Content-Disposition", "attachment", filename=("gbk", "", attachment[0]))
        mail.attach(part)
    # "镕" is GBK but not GB2312: the label lies, as it often does.
    return mail.as_bytes().replace(b'charset="gbk"', b'charset="gb2312"')


@pytest.fixture
def wang(db):
    """Return the contact 王芳 (stored in mixed case) at her customer, in the email index."""
    contact = ContactFactory(name="王芳", email="wang.fang@EXAMPLE.cn")
    engine.index_record("contact", contact)
    return contact


def test_fetch_files_email_on_the_senders_contact_with_attachment(imap_server, mailbox_on, wang):
    owner = UserFactory(username="li")
    mailbox = mailbox_on(imap_server, "wang", owner=owner)
    imap_server.append("wang", gbk_mail())

    result = mail_fetch.mailbox_fetch(mailbox.pk)

    assert (result.stored, result.duplicates, result.broken, result.error) == (1, 0, 0, "")
    message = Message.objects.get()
    assert message.subject == "关于报价单的回复"
    assert message.body == "您好，报价已收到。镕基的价格请再确认。"
    assert (message.from_name, message.from_address) == ("王芳", "wang.fang@example.cn")
    assert (message.direction, message.status) == ("in", "received")
    assert (message.mailbox, message.contact, message.account) == (mailbox, wang, wang.account)
    assert (message.link_entity, message.link_id) == ("contact", wang.pk)
    assert message.message_id == "<reply-1@mail.example.cn>"
    assert [(a.name, a.size) for a in message.attachments.all()] == [("报价单.pdf", 14)]
    activity = message.activity
    assert (activity.kind, activity.subject, activity.owner) == ("email", "关于报价单的回复", owner)
    assert (activity.link_entity, activity.link_id, activity.account) == (
        "contact",
        wang.pk,
        wang.account,
    )
    assert activity.description == "<p>您好，报价已收到。镕基的价格请再确认。</p>"
    assert list(activity.participant_contacts.all()) == [wang]
    [file] = activity.attachments.all()
    assert (file.name, file.file.read()) == ("报价单.pdf", b"%PDF-1.4 quote")
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.last_error, mailbox.fetching_until) == (1, "", None)
    assert mailbox.last_fetched_at is not None
    # The message stays unread for whoever reads the mailbox in a mail client.
    client = imap_server.client("wang")
    client.select("INBOX")
    assert client.search(None, "UNSEEN")[1] == [b"1"]
    client.logout()


def test_fetching_again_or_after_uidvalidity_change_stores_nothing_twice(
    imap_server, mailbox_on, wang
):
    mailbox = mailbox_on(imap_server, "wang", owner=UserFactory())
    imap_server.append("wang", gbk_mail())
    assert mail_fetch.mailbox_fetch(mailbox.pk).stored == 1

    again = mail_fetch.mailbox_fetch(mailbox.pk)
    assert (again.stored, again.duplicates) == (0, 0)

    # The server renumbered the folder: everything is read again, nothing stored twice.
    Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=1, last_uid=99)
    renumbered = mail_fetch.mailbox_fetch(mailbox.pk)
    assert (renumbered.stored, renumbered.duplicates) == (0, 1)
    assert Message.objects.count() == 1
    assert Activity.objects.count() == 1
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 1


def test_a_run_while_another_fetches_leaves_the_mailbox_alone(imap_server, mailbox_on, wang):
    mailbox = mailbox_on(imap_server, "wang", owner=UserFactory())
    imap_server.append("wang", gbk_mail())
    Mailbox.objects.filter(pk=mailbox.pk).update(
        fetching_until=timezone.now() + timezone.timedelta(minutes=5)
    )
    assert mail_fetch.mailbox_fetch(mailbox.pk).busy is True
    assert Message.objects.count() == 0


def test_the_same_message_id_is_stored_once_per_mailbox_even_when_runs_overlap(
    imap_server, mailbox_on, wang
):
    mailbox = mailbox_on(imap_server, "wang", owner=UserFactory())
    mail = parse_mail(gbk_mail())
    inbound.message_receive(mailbox=mailbox, mail=mail)
    with pytest.raises(IntegrityError), transaction.atomic():
        inbound.message_receive(mailbox=mailbox, mail=parse_mail(gbk_mail()))
    assert Message.objects.count() == 1
    assert Activity.objects.count() == 1
    # Another mailbox (a colleague in copy) keeps its own copy.
    other = mailbox_on(imap_server, "sales", name="Sales")
    inbound.message_receive(mailbox=other, mail=parse_mail(gbk_mail()))
    assert Message.objects.filter(message_id="<reply-1@mail.example.cn>").count() == 2


def test_reply_to_a_sent_email_joins_its_thread_and_record(
    imap_server, mailbox_on, smtp_server, wang, django_capture_on_commit_callbacks
):
    seller = UserFactory(username="zhao")
    account = wang.account
    with django_capture_on_commit_callbacks(execute=True):
        sent = messaging.message_queue(
            actor=seller,
            channel="email",
            to_address=wang.email,
            subject="报价单",
            body="请查收报价。",
            record=account,
            contact=wang,
        )
    sent.refresh_from_db()
    assert sent.status == "sent"
    assert sent.message_id.startswith("<")
    # The buyer's boss answers from an address the CRM does not know.
    reply = gbk_mail(
        sender="boss@another.example",
        message_id="<boss-1@another.example>",
        headers=[("In-Reply-To", sent.message_id), ("References", sent.message_id)],
        attachment=None,
    )
    imap_server.append("sales", reply)
    mailbox = mailbox_on(imap_server, "sales", name="销售部邮箱")

    assert mail_fetch.mailbox_fetch(mailbox.pk).stored == 1

    message = Message.objects.get(direction="in")
    assert message.thread == sent
    assert (message.link_entity, message.link_id, message.account) == (
        "account",
        account.pk,
        account,
    )
    assert message.contact == wang
    # A shared mailbox's email belongs to the record's owner.
    assert message.activity.owner == account.owner
    assert message.activity.account == account


def test_an_unknown_sender_waits_in_unmatched_until_filed_by_hand(imap_server, mailbox_on, wang):
    owner = UserFactory(username="li")
    mailbox = mailbox_on(imap_server, "wang", owner=owner)
    imap_server.append("wang", gbk_mail(sender="stranger@unknown.example", attachment=None))

    mail_fetch.mailbox_fetch(mailbox.pk)

    message = Message.objects.get()
    assert (message.link_entity, message.activity) == ("", None)
    assert list(inbound.unmatched_for(owner)) == [message]
    assert list(inbound.unmatched_for(UserFactory())) == []
    account = AccountFactory(owner=owner)
    grant(owner, "activity", ["view", "create"], "own")
    inbound.inbound_link(actor=owner, message=message, record=account)
    message.refresh_from_db()
    assert (message.link_entity, message.link_id, message.account) == (
        "account",
        account.pk,
        account,
    )
    assert (message.activity.owner, message.activity.account) == (owner, account)
    assert message.activity.created_by == owner
    assert list(inbound.unmatched_for(owner)) == []


def test_mail_the_user_sent_from_their_own_client_is_matched_by_recipient(
    imap_server, mailbox_on, wang
):
    owner = UserFactory(username="li", email="li@guanxi.test")
    mailbox = mailbox_on(imap_server, "wang", owner=owner)
    imap_server.append(
        "wang", gbk_mail(sender="Li <LI@guanxi.test>", to="王芳 <wang.fang@example.cn>")
    )

    mail_fetch.mailbox_fetch(mailbox.pk)

    message = Message.objects.get()
    assert (message.direction, message.status, message.sender) == ("out", "sent", owner)
    assert (message.contact, message.to_address) == (wang, "wang.fang@example.cn")
    assert message.activity.owner == owner


def test_a_broken_message_is_skipped_and_the_batch_goes_on(imap_server, mailbox_on, wang):
    mailbox = mailbox_on(imap_server, "wang", owner=UserFactory())
    imap_server.append("wang", b"Subject: no sender at all\r\n\r\nbody\r\n")
    imap_server.append("wang", gbk_mail())

    result = mail_fetch.mailbox_fetch(mailbox.pk)

    assert (result.stored, result.broken, result.error) == (1, 1, "")
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 2
    assert Message.objects.get().subject == "关于报价单的回复"


def test_attachments_over_the_cap_are_left_out_with_a_note(imap_server, mailbox_on, wang, settings):
    settings.GUANXI_MAIL_MAX_ATTACHMENT_MB = 1
    mailbox = mailbox_on(imap_server, "wang", owner=UserFactory())
    imap_server.append("wang", gbk_mail(attachment=("扫描件.pdf", b"x" * (1024 * 1024 + 1))))

    mail_fetch.mailbox_fetch(mailbox.pk)

    message = Message.objects.get()
    assert message.attachments.count() == 0
    assert message.body.endswith(
        "The attachment “扫描件.pdf” (1.0 MB) was not kept: larger than 1 MB."
    )


def test_a_server_error_is_kept_on_the_mailbox_and_the_next_run_tries_again(
    imap_server, mailbox_on, wang, closed_port
):
    mailbox = mailbox_on(imap_server, "wang", owner=UserFactory())
    imap_server.append("wang", gbk_mail())
    real_port = mailbox.port
    Mailbox.objects.filter(pk=mailbox.pk).update(port=closed_port)

    failed = mail_fetch.mailbox_fetch(mailbox.pk)

    mailbox.refresh_from_db()
    assert failed.error.startswith("ConnectionRefusedError")
    assert (mailbox.last_error, mailbox.last_fetched_at, mailbox.fetching_until) == (
        failed.error,
        None,
        None,
    )
    Mailbox.objects.filter(pk=mailbox.pk).update(port=real_port)
    assert mail_fetch.mailbox_fetch(mailbox.pk).stored == 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_a_wrong_password_is_reported(imap_server, mailbox_on):
    mailbox = mailbox_on(imap_server, "wang", owner=UserFactory())
    mailbox.set_password("not-the-password")
    mailbox.save()

    assert mail_fetch.mailbox_test(mailbox).startswith("login refused")
    assert mail_fetch.mailbox_fetch(mailbox.pk).error.startswith("login refused")
    assert mail_fetch.mailbox_test(mailbox, password="wang-pass-1") == ""


def test_ssl_and_starttls_with_a_trusted_self_signed_certificate(imaps_server, mailbox_on, wang):
    imaps_server.append("wang", gbk_mail())
    over_ssl = mailbox_on(imaps_server, "wang", owner=UserFactory(), security=MailSecurity.SSL)
    Mailbox.objects.filter(pk=over_ssl.pk).update(port=imaps_server.ssl_port)
    over_ssl.refresh_from_db()
    starttls = mailbox_on(imaps_server, "wang", name="tls", security=MailSecurity.STARTTLS)

    assert mail_fetch.mailbox_test(over_ssl) == ""
    assert mail_fetch.mailbox_test(starttls) == ""
    assert mail_fetch.mailbox_fetch(over_ssl.pk).stored == 1


def test_an_untrusted_certificate_is_refused(imaps_server, mailbox_on, settings):
    settings.GUANXI_MAIL_CA_FILE = ""
    mailbox = mailbox_on(imaps_server, "wang", owner=UserFactory(), security=MailSecurity.SSL)
    mailbox.port = imaps_server.ssl_port

    assert "CERTIFICATE_VERIFY_FAILED" in mail_fetch.mailbox_test(mailbox)
