"""Demo activities: calls, visits, meetings, notes and tasks around the demo customers.

Each sales user gets a believable week: done calls and visits with outcomes in the past,
meetings today and later this week, a few overdue tasks, a repeating weekly meeting.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from guanxi.activities import services
from guanxi.activities.choices import ActivityKind, ActivityStatus, Outcome, Priority, Recurrence
from guanxi.activities.models import Activity
from guanxi.core import search

DONE_CALLS = [
    ("电话回访：确认报价细节", "客户对报价基本认可，希望下周安排技术交流。"),
    ("Call: confirm the delivery date", "They need the first batch by the end of the month."),
    ("电话沟通年度框架协议", "采购经理会在内部评审后回复。"),
    ("Follow-up call after the trade fair", "Interested in the cloud edition; send a demo link."),
    ("售后回访：安装使用情况", "设备运行正常，客户满意。"),
]
VISITS = [
    ("上门拜访：产品演示", "会议室"),
    ("Site visit: plant tour and requirements", "Customer's plant"),
    ("拜访采购部，递交样品", "客户公司前台"),
]
MEETINGS = [
    ("技术交流会", "线上会议（腾讯会议）"),
    ("Quarterly business review", "Meeting room 3"),
    ("合同条款谈判", "客户总部"),
]
TASKS = [
    ("准备报价单并发给客户", Priority.HIGH),
    ("Send the product brochure", Priority.NORMAL),
    ("整理拜访纪要", Priority.LOW),
    ("Chase the signed contract", Priority.URGENT),
    ("更新客户联系人信息", Priority.NORMAL),
]
NOTES = [
    "客户下季度预算增加约 20%。",
    "Decision maker changes in January; keep the CFO in the loop.",
]


def _at(now: datetime.datetime, days: int, hour: int) -> datetime.datetime:
    local = timezone.localtime(now) + datetime.timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def create(rng: random.Random, *, accounts, contacts, users, now) -> dict:
    """Create the demo activities; return counts for the demo report."""
    contacts_by_account: dict[int, list] = {}
    for contact in contacts:
        contacts_by_account.setdefault(contact.account_id, []).append(contact)
    owned = [account for account in accounts if account.owner_id]
    created: list[Activity] = []
    participants: list[tuple[Activity, list]] = []

    def add(account, **fields) -> Activity:
        people = contacts_by_account.get(account.pk, [])
        contact = rng.choice(people) if people else None
        link = (
            ("contact", contact.pk) if contact and rng.random() < 0.4 else ("account", account.pk)
        )
        activity = Activity(
            owner_id=account.owner_id,
            created_by_id=account.owner_id,
            updated_by_id=account.owner_id,
            link_entity=link[0],
            link_id=link[1],
            account_id=account.pk,
            **fields,
        )
        activity.derive_fields()
        created.append(activity)
        if contact:
            participants.append((activity, [contact]))
        return activity

    for account in rng.sample(owned, min(len(owned), 60)):
        subject, note = rng.choice(DONE_CALLS)
        at = _at(now, -rng.randint(1, 40), rng.randint(9, 17))
        add(
            account,
            kind=ActivityKind.CALL,
            subject=subject,
            description=f"<p>{note}</p>",
            status=ActivityStatus.DONE,
            outcome=rng.choice([Outcome.REACHED, Outcome.INTERESTED, Outcome.FOLLOW_UP]),
            starts_at=at,
            ends_at=at + datetime.timedelta(minutes=15),
            completed_at=at + datetime.timedelta(minutes=15),
        )
    for account in rng.sample(owned, min(len(owned), 20)):
        subject, location = rng.choice(VISITS)
        days = rng.choice([-12, -5, -2, 1, 3])
        at = _at(now, days, rng.choice([10, 14, 15]))
        add(
            account,
            kind=ActivityKind.VISIT,
            subject=subject,
            location=location,
            status=ActivityStatus.DONE if days < 0 else ActivityStatus.PLANNED,
            outcome=Outcome.INTERESTED if days < 0 else "",
            starts_at=at,
            ends_at=at + datetime.timedelta(hours=2),
            completed_at=at + datetime.timedelta(hours=2) if days < 0 else None,
            remind_before=60 if days > 0 else None,
        )
    for account in rng.sample(owned, min(len(owned), 15)):
        subject, location = rng.choice(MEETINGS)
        at = _at(now, rng.choice([0, 0, 1, 2, 4]), rng.choice([9, 11, 14, 16]))
        add(
            account,
            kind=ActivityKind.MEETING,
            subject=subject,
            location=location,
            starts_at=at,
            ends_at=at + datetime.timedelta(hours=1),
            remind_before=15,
        )
    for account in rng.sample(owned, min(len(owned), 30)):
        subject, priority = rng.choice(TASKS)
        add(
            account,
            kind=ActivityKind.TASK,
            subject=subject,
            priority=priority,
            due_at=_at(now, rng.choice([-3, -1, 0, 0, 2, 5]), 18),
        )
    for account in rng.sample(owned, min(len(owned), 10)):
        add(
            account,
            kind=ActivityKind.NOTE,
            subject=rng.choice(NOTES)[:60],
            description=f"<p>{rng.choice(NOTES)}</p>",
            status=ActivityStatus.DONE,
            completed_at=_at(now, -rng.randint(1, 20), 12),
        )
    Activity.objects.bulk_create(created, batch_size=500)
    links = [
        Activity.participant_contacts.through(activity_id=activity.pk, contact_id=contact.pk)
        for activity, people in participants
        for contact in people
    ]
    Activity.participant_contacts.through.objects.bulk_create(links, batch_size=1000)
    for activity in created:
        search.index_record("activity", activity)

    # A weekly sales meeting for the east team, repeating for two months.
    manager = users.get("liming")
    weekly = None
    if manager is not None:
        weekly = Activity(
            kind=ActivityKind.MEETING,
            subject="华东销售周例会 / East sales weekly",
            location="3 号会议室",
            starts_at=_at(now, (7 - timezone.localtime(now).weekday()) % 7 or 7, 9),
            owner=manager,
            created_by=manager,
            updated_by=manager,
            recurrence=Recurrence.WEEKLY,
            recurrence_until=(now + datetime.timedelta(days=60)).date(),
            remind_before=30,
        )
        weekly.ends_at = weekly.starts_at + datetime.timedelta(hours=1)
        weekly.save()
        weekly.participant_users.set(
            [user for key, user in users.items() if key in ("zhangwei", "liuyang")]
        )
        services.schedule_series(manager, weekly)
    _messages(rng, owned, contacts_by_account, now)
    return {"activities": Activity.objects.filter(pk__in=[a.pk for a in created]).count()}


TEMPLATES = [
    (
        "email",
        "报价跟进",
        "zh-hans",
        "{{ account.name }} 的报价",
        "{{ contact.name }}您好：\n\n附上贵司所需产品的报价，有效期 30 天。\n\n{{ user.name }}",
    ),
    (
        "email",
        "报价跟进",
        "en",
        "Your quote, {{ account.name }}",
        "Dear {{ contact.name }},\n\nPlease find our quote attached, valid for 30 days.\n\n"
        "{{ user.name }}",
    ),
    (
        "sms",
        "拜访确认",
        "zh-hans",
        "",
        "{{ contact.name }}您好，{{ user.name }}将于明天上午拜访贵司。",
    ),
    (
        "sms",
        "拜访确认",
        "en",
        "",
        "Hi {{ contact.name }}, {{ user.name }} will visit you tomorrow.",
    ),
]


def _messages(rng: random.Random, accounts, contacts_by_account, now) -> None:
    """Create a few message templates and a history of sent (and one failed) messages."""
    from guanxi.activities.models import Message, MessageTemplate

    for channel, name, language, subject, body in TEMPLATES:
        MessageTemplate.objects.get_or_create(
            channel=channel,
            name=name,
            language=language,
            defaults={"subject": subject, "body": body},
        )
    messages = []
    for account in rng.sample(accounts, min(len(accounts), 12)):
        people = [c for c in contacts_by_account.get(account.pk, []) if c.email]
        if not people:
            continue
        contact = rng.choice(people)
        at = _at(now, -rng.randint(1, 20), rng.randint(9, 17))
        failed = not messages
        messages.append(
            Message(
                channel="email",
                status="failed" if failed else "sent",
                link_entity="account",
                link_id=account.pk,
                account_id=account.pk,
                contact=contact,
                sender_id=account.owner_id,
                to_address=contact.email,
                to_name=contact.name,
                subject=f"{account.name} 的报价",
                body=f"{contact.name}您好：\n\n附上贵司所需产品的报价，有效期 30 天。",
                attempts=1,
                created_at=at,
                sent_at=None if failed else at,
                last_error=f"{contact.email}: 550 5.1.1 Mailbox unavailable" if failed else "",
            )
        )
    Message.objects.bulk_create(messages)


def delete(user_ids) -> None:
    """Remove the demo users' activities (before the users they are owned by)."""
    from guanxi.activities.models import Message
    from guanxi.core.models import AuditEntry, SearchToken

    Message.objects.filter(sender__in=user_ids).delete()
    ids = list(Activity.objects.filter(owner__in=user_ids).values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        SearchToken.objects.filter(entity="activity", object_id__in=chunk).delete()
        AuditEntry.objects.filter(entity="activity", object_id__in=chunk).delete()
        Activity.objects.filter(pk__in=chunk).delete()
