"""iCalendar output and template placeholders."""

import datetime

import pytest
from django.utils import timezone

from guanxi.activities import ics, placeholders
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.core.tests.factories import UserFactory
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_ics_escapes_folds_and_writes_utc():
    start = datetime.datetime(2027, 3, 1, 1, 30, tzinfo=datetime.UTC)
    meeting = ActivityFactory(
        kind="meeting",
        subject="技术交流会; 议程, 报价" + "很长的标题" * 20,
        location="上海\n3 号会议室",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )

    text = ics.invitation(
        meeting, organizer_email="rep@example.cn", attendees=[("王芳", "wang@example.cn")]
    ).decode()

    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert "METHOD:REQUEST\r\n" in text
    assert "DTSTART:20270301T013000Z\r\n" in text and "DTEND:20270301T023000Z" in text
    assert "LOCATION:上海\\n3 号会议室" in text
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:技术交流会\\; 议程\\, 报价很长的标题" in unfolded
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert 'ATTENDEE;CN="王芳"' in unfolded and f"UID:activity-{meeting.pk}@" in text


def test_placeholders_fill_from_the_record_and_drop_unknown_ones():
    user = UserFactory(username="zhangwei", display_name="张伟")
    account = AccountFactory(name="华信科技", owner=user)
    contact = ContactFactory(account=account, name="王芳", owner=user)
    context = placeholders.context_for(record=contact, user=user)

    text = placeholders.render(
        "{{ contact.name }}您好，{{account.name}}的报价见附件。{{ account.secret }}"
        "——{{ user.name }}",
        context,
    )

    assert text == "王芳您好，华信科技的报价见附件。——张伟"
    assert placeholders.unknown("{{ account.secret }} {{ contact.name }}") == ["account.secret"]
    assert placeholders.render("{{ today.date }}", context) == timezone.localdate().strftime(
        "%m/%d/%Y"
    )
