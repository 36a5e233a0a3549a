"""Demo customer care: a birthday plan, a cooperation anniversary plan, their tasks.

The suggested messages exist in Chinese and English (the owner's language picks one).
Some demo contacts get birthdays in the coming days and some customers a cooperation
start date, so the daily run creates care tasks right away; a few are already done.
"""

from __future__ import annotations

import datetime
import random

from django.core.exceptions import PermissionDenied

from guanxi.activities.models import MessageTemplate
from guanxi.activities.services import activity_set_status
from guanxi.core.models import CustomField
from guanxi.service.models import CarePlan, CareTask
from guanxi.service.services import care_run

TEMPLATES = (
    (
        "生日祝福",
        "zh-hans",
        "{{ contact.name }}，生日快乐！",
        "尊敬的{{ contact.name }}：\n\n值此生日之际，{{ account.name }}的老朋友祝您生日快乐、"
        "万事如意！\n\n{{ user.name }}",
    ),
    (
        "生日祝福",
        "en",
        "Happy birthday, {{ contact.name }}!",
        "Dear {{ contact.name }},\n\nAll of us wish you a very happy birthday and a great year"
        " ahead.\n\nBest regards,\n{{ user.name }}",
    ),
    (
        "合作周年",
        "zh-hans",
        "感谢{{ account.name }}一路同行",
        "{{ account.name }}：\n\n今天是我们合作的周年纪念日，感谢您一直以来的信任与支持！"
        "\n\n{{ user.name }}",
    ),
    (
        "合作周年",
        "en",
        "Thank you, {{ account.name }}, for another year together",
        "Dear partners at {{ account.name }},\n\nToday marks another year of working together."
        " Thank you for your trust.\n\n{{ user.name }}",
    ),
)


def _in_year(day: datetime.date, year: int) -> datetime.date:
    """Return the same month and day in another year (28 February for a leap day)."""
    if (day.month, day.day) == (2, 29):
        day = day - datetime.timedelta(days=1)
    return day.replace(year=year)


def create(rng: random.Random, *, accounts, contacts, author, today: datetime.date) -> dict:
    """Create the demo care plans and run them; return counts for the demo report."""
    templates = {}
    for name, language, subject, body in TEMPLATES:
        templates[(name, language)], _created = MessageTemplate.objects.update_or_create(
            channel="email",
            name=name,
            language=language,
            defaults={"subject": subject, "body": body, "is_active": True},
        )
    CustomField.objects.update_or_create(
        entity="account",
        key="cooperation_since",
        defaults={
            "label_en": "Cooperation since",
            "label_zh": "合作开始日期",
            "field_type": "date",
        },
    )
    for contact in rng.sample(contacts, min(12, len(contacts))):
        offset = datetime.timedelta(days=rng.randint(-5, 20))
        contact.birthday = _in_year(today + offset, rng.randint(1965, 1995))
        contact.save(update_fields=["birthday"])
    for account in rng.sample(accounts, min(6, len(accounts))):
        day = today + datetime.timedelta(days=rng.randint(0, 25))
        since = _in_year(day, rng.randint(2012, 2023))
        account.custom = {**account.custom, "cooperation_since": since.isoformat()}
        account.save(update_fields=["custom"])
    birthday = CarePlan.objects.create(
        name="生日关怀 Birthday greetings",
        audience="contact",
        occasion="yearly",
        date_field="birthday",
        days_before=3,
        subject="给{{ contact.name }}送生日祝福 · Birthday of {{ contact.name }}",
        priority="high",
        template=templates[("生日祝福", "zh-hans")],
        created_by=author,
    )
    CarePlan.objects.create(
        name="合作周年 Cooperation anniversary",
        audience="account",
        occasion="yearly",
        date_field="custom.cooperation_since",
        days_before=7,
        subject="{{ account.name }} 合作周年 · anniversary",
        template=templates[("合作周年", "zh-hans")],
        created_by=author,
    )
    CarePlan.objects.create(
        name="首次拜访回访 First visit follow-up",
        audience="account",
        occasion="event",
        event_type="activity.visit_done",
        days_after=3,
        first_only=True,
        subject="回访 {{ account.name }} · follow up the visit",
        created_by=author,
    )
    created = care_run(day=today - datetime.timedelta(days=5)).created
    created += care_run(day=today).created
    done = 0
    for care in CareTask.objects.filter(plan=birthday, due_date__lt=today).select_related(
        "activity", "owner"
    )[:3]:
        if care.activity is None or care.owner is None:
            continue
        try:
            activity_set_status(actor=care.owner, activity=care.activity, status="done")
        except PermissionDenied:
            continue
        done += 1
    return {"care_tasks": created, "care_done": done}


def delete() -> None:
    """Remove the demo care plans (their tasks are the demo users' activities)."""
    CarePlan.objects.filter(created_by__preferences__has_key="demo").delete()
