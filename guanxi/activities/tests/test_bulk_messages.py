"""Bulk sends: every recipient accounted for, opt-outs skipped, throttled, retried."""

import itertools
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guanxi.activities import batches
from guanxi.activities.choices import Channel, MessageStatus
from guanxi.activities.models import Message, MessageBatch, MessageTemplate
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.choices import ConsentChannel, ConsentStatus
from guanxi.customers.models import Contact
from guanxi.customers.privacy import consent_record
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rep():
    user = UserFactory(username="zhao.min", language="zh-hans")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    grant(user, "activity", scope="own")
    return user


@pytest.fixture
def unthrottled(settings):
    settings.GUANXI_EMAIL_RATE = 0
    settings.GUANXI_SMS_RATE = 0


@pytest.fixture
def contacts(rep):
    account = AccountFactory(name="杭州云帆科技有限公司", owner=rep)
    people = [
        ContactFactory(account=account, owner=rep, name="张伟", email="zw@yunfan.cn"),
        ContactFactory(account=account, owner=rep, name="John Smith", email="js@yunfan.cn"),
        ContactFactory(account=account, owner=rep, name="李娜", email="ln@yunfan.cn"),
        ContactFactory(account=account, owner=rep, name="王芳", email=""),
        ContactFactory(account=account, owner=rep, name="陈刚", email="bounce@yunfan.cn"),
    ]
    consent_record(
        actor=rep, person=people[2], channel=ConsentChannel.EMAIL, status=ConsentStatus.WITHDRAWN
    )
    return people


@pytest.fixture
def greeting():
    zh = MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="新年问候",
        language="zh-hans",
        subject="新年快乐，{{ contact.name }}",
        body="{{ account.name }}：祝新年快乐！",
    )
    MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="新年问候",
        language="en",
        subject="Happy New Year, {{ contact.name }}",
        body="Best wishes to {{ account.name }}.",
    )
    return zh


def test_bulk_email_accounts_for_every_recipient(smtp_server, unthrottled, rep, contacts, greeting):
    smtp_server.refuse.add("bounce@yunfan.cn")
    batch = batches.batch_create(actor=rep, channel=Channel.EMAIL, template=greeting)

    batches.batch_build(
        actor=rep,
        batch=batch,
        entity_name="contact",
        queryset=Contact.objects.visible_to(rep, "view"),
    )

    batch.refresh_from_db()
    assert (batch.total, batch.sent_count, batch.failed_count, batch.skipped_count) == (5, 2, 1, 2)
    assert batch.finished
    subjects = sorted(received["email"]["Subject"] for received in smtp_server.messages)
    assert subjects == ["Happy New Year, John Smith", "新年快乐，张伟"]
    reasons = dict(batch.messages.values_list("to_name", "last_error"))
    assert reasons["李娜"] == "The recipient opted out of this channel."
    assert reasons["王芳"] == "No address to send to."
    assert reasons["陈刚"] == "bounce@yunfan.cn: 550 5.1.1 Mailbox unavailable"
    assert batches.batch_counts(batch) == {
        "total": 5,
        "sent": 2,
        "failed": 1,
        "skipped": 2,
        "waiting": 0,
        "percent": 100,
    }


def test_retry_failed_sends_them_again(smtp_server, unthrottled, rep, contacts, greeting):
    smtp_server.refuse.add("bounce@yunfan.cn")
    batch = batches.batch_create(actor=rep, channel=Channel.EMAIL, template=greeting)
    batches.batch_build(
        actor=rep, batch=batch, entity_name="contact", queryset=Contact.objects.all()
    )
    smtp_server.refuse.clear()

    assert batches.batch_retry_failed(actor=rep, batch=batch) == 1

    batch.refresh_from_db()
    assert (batch.sent_count, batch.failed_count, batch.skipped_count) == (3, 0, 2)
    assert len(smtp_server.messages) == 3


def test_preview_counts_who_will_and_will_not_get_it(rep, contacts):
    preview = batches.batch_preview("contact", Contact.objects.all(), Channel.EMAIL)

    assert (preview["total"], preview["to_send"], preview["no_address"], preview["opted_out"]) == (
        5,
        3,
        1,
        1,
    )


def test_customers_get_it_at_their_address_or_their_primary_contacts(smtp_server, unthrottled, rep):
    own = AccountFactory(name="Acme Trading Co., Ltd.", owner=rep, email="info@acme.com")
    via_contact = AccountFactory(name="深圳前海物流集团", owner=rep, email="")
    ContactFactory(account=via_contact, owner=rep, name="刘洋", email="ly@qh.cn", is_primary=True)
    nobody = AccountFactory(name="北京明德教育咨询有限公司", owner=rep, email="")
    batch = batches.batch_create(
        actor=rep,
        channel=Channel.EMAIL,
        template=None,
        subject="Hi",
        body="Hello {{ account.name }}",
    )

    batches.batch_build(
        actor=rep,
        batch=batch,
        entity_name="account",
        queryset=AccountFactory._meta.model.objects.filter(
            pk__in=[own.pk, via_contact.pk, nobody.pk]
        ),
    )

    rows = {m.account_id: (m.to_address, m.status) for m in batch.messages.all()}
    assert rows == {
        own.pk: ("info@acme.com", "sent"),
        via_contact.pk: ("ly@qh.cn", "sent"),
        nobody.pk: ("", "skipped"),
    }
    bodies = sorted(r["email"].get_content().strip() for r in smtp_server.messages)
    assert bodies == ["Hello Acme Trading Co., Ltd.", "Hello 深圳前海物流集团"]


def _build_queries(rep, count: int) -> int:
    account = AccountFactory(owner=rep)
    Contact.objects.bulk_create(
        [
            Contact(account=account, owner=rep, name=f"客户{i}", email=f"c{i}@example.cn")
            for i in range(count)
        ]
    )
    batch = batches.batch_create(
        actor=rep, channel=Channel.EMAIL, template=None, subject="s", body="b"
    )
    # Sending starts once the messages are committed: outside what is counted here.
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        batches.batch_build(
            actor=rep, batch=batch, entity_name="contact", queryset=Contact.objects.all()
        )
    # SQLite caps the variables of one statement, so its INSERTs come in slices.
    return len([q for q in queries.captured_queries if not q["sql"].startswith("INSERT")])


def test_writing_messages_takes_the_same_queries_for_10_or_60_recipients(unthrottled, rep):
    # records, opt-outs, savepoint, counters, release, refresh: none per recipient.
    assert _build_queries(rep, 10) == _build_queries(rep, 60) == 6
    assert Message.objects.count() == 10 + 70  # the second build went to all 70


def test_planned_times_follow_the_rate_after_those_already_planned(settings):
    settings.GUANXI_EMAIL_RATE = 120
    first = batches.plan_slots(Channel.EMAIL, 3)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(first)]
    assert gaps == [0.5, 0.5]
    after = batches.plan_slots(Channel.EMAIL, 2, after=first[-1])
    assert [(slot - first[-1]).total_seconds() for slot in after] == [0.5, 1.0]
    settings.GUANXI_EMAIL_RATE = 0
    assert len(set(batches.plan_slots(Channel.EMAIL, 3))) == 1


def test_a_large_selection_is_built_by_a_job(
    smtp_server, unthrottled, monkeypatch, rep, client_for
):
    monkeypatch.setattr("guanxi.activities.bulk_messages.INLINE_LIMIT", 2)
    account = AccountFactory(owner=rep)
    for index in range(3):
        ContactFactory(account=account, owner=rep, name=f"客户{index}", email=f"c{index}@ex.cn")

    response = client_for(rep).post(
        reverse("web:contact_bulk_send_email"),
        {
            "all_matching": "1",
            "querystring": "",
            "send": "1",
            "subject": "您好",
            "body": "新品上市",
        },
    )

    batch = MessageBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/messages/batches/{batch.pk}/"
    assert batch.job.status == "done"
    assert (batch.job.total, batch.job.done) == (3, 3)
    assert (batch.total, batch.sent_count) == (3, 3)
    page = client_for(rep).get(response["Location"])
    assert page.status_code == 200
    assert 'data-testid="count-sent">3<' in page.content.decode()


def test_another_rep_cannot_bulk_send_to_records_outside_their_scope(
    smtp_server, unthrottled, rep, contacts, client_for
):
    other = UserFactory(username="other")
    grant(other, "contact", scope="own")
    grant(other, "activity", scope="own")

    response = client_for(other).post(
        reverse("web:contact_bulk_send_email"),
        {"ids": [c.pk for c in contacts], "send": "1", "subject": "Hi", "body": "x"},
    )

    assert response.status_code == 302
    batch = MessageBatch.objects.get()
    assert batch.total == 0
    assert smtp_server.messages == []
    # Nobody else follows someone's bulk send.
    assert (
        client_for(UserFactory(username="third"))
        .get(reverse("web:message_batch", args=[batch.pk]))
        .status_code
        == 404
    )


def test_bulk_messages_go_out_spaced_by_the_channel_rate(settings, smtp_server, rep):
    settings.GUANXI_EMAIL_RATE = 300  # one every 0.2 s
    account = AccountFactory(owner=rep)
    for index in range(4):
        ContactFactory(account=account, owner=rep, name=f"客户{index}", email=f"c{index}@ex.cn")
    batch = batches.batch_create(
        actor=rep, channel=Channel.EMAIL, template=None, subject="s", body="b"
    )

    started = time.monotonic()
    started_at = timezone.now()
    batches.batch_build(
        actor=rep, batch=batch, entity_name="contact", queryset=Contact.objects.all()
    )
    elapsed = time.monotonic() - started

    # The n-th message never leaves before its slot, n × 0.2 s after the build began (a
    # loaded machine may send one late, so gaps between two sends are not the measure).
    sent = list(batch.messages.order_by("sent_at").values_list("sent_at", flat=True))
    offsets = [(moment - started_at).total_seconds() for moment in sent]
    assert all(offset >= index * 0.2 - 0.02 for index, offset in enumerate(offsets)), offsets
    assert len(smtp_server.messages) == 4
    assert elapsed >= 0.55
    assert batch.messages.filter(status=MessageStatus.SENT).count() == 4
