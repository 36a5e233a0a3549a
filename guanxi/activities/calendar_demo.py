"""Demo data of the calendar: a trade fair spanning days, a training, and feed links."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from guanxi.activities import calendar_services
from guanxi.activities.choices import ActivityKind
from guanxi.activities.models import Activity, CalendarFeed

EVENTS = (
    # (owner, subject, location, days ahead, hour, length in hours, all day, participants)
    (
        "liming",
        "中国国际进口博览会 / CIIE trade fair",
        "国家会展中心（上海）",
        9,
        9,
        56,
        True,
        ("zhangwei", "liuyang"),
    ),
    (
        "liming",
        "新产品培训 / Product training",
        "总部 5 楼培训室",
        2,
        14,
        3,
        False,
        ("zhangwei", "liuyang", "zhaomin"),
    ),
    (
        "zhangwei",
        "与华信科技季度复盘 / Quarterly review with Huaxin",
        "腾讯会议",
        3,
        10,
        1.5,
        False,
        (),
    ),
    (
        "huangli",
        "华南客户答谢会 / Customer appreciation evening",
        "广州白云国际会议中心",
        12,
        18,
        3,
        False,
        ("zhoujie",),
    ),
)


def create(rng: random.Random, *, users, now) -> dict:
    """Create a few calendar events and a private feed link for every demo user."""
    created = 0
    for owner_key, subject, location, days, hour, hours, all_day, people in EVENTS:
        owner = users.get(owner_key)
        if owner is None:
            continue
        local = timezone.localtime(now) + datetime.timedelta(days=days)
        start = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        activity = Activity(
            kind=ActivityKind.MEETING,
            subject=subject,
            location=location,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=hours),
            all_day=all_day,
            owner=owner,
            created_by=owner,
            updated_by=owner,
            remind_before=rng.choice([15, 30, 60]),
        )
        activity.save()
        activity.participant_users.set([users[key] for key in people if key in users])
        created += 1
    for user in users.values():
        calendar_services.feed_for(user)
    return {"calendar_events": created, "calendar_feeds": len(users)}


def delete(user_ids) -> None:
    """Remove the demo users' feed links (their activities go with the activities demo)."""
    CalendarFeed.objects.filter(user__in=user_ids).delete()
