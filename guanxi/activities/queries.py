"""Reads shared by the activity screens, the API and the timelines."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from guanxi.activities.choices import OPEN_STATUSES
from guanxi.activities.models import Activity
from guanxi.core.choices import Action

MY_DAY_LIMIT = 100


def visible_activities(user, action: str = Action.VIEW) -> QuerySet:
    return Activity.objects.visible_to(user, action)


def activities_of(entity_name: str, record, user) -> QuerySet:
    """Return the activities of one record the user may see, newest first.

    A customer's are all activities with it, whatever they link to (its contacts, deals);
    a contact's are those linked to it or with it as a participant.
    """
    queryset = visible_activities(user)
    if entity_name == "account":
        queryset = queryset.filter(account_id=record.pk)
    elif entity_name == "contact":
        participating = Activity.participant_contacts.through.objects.filter(
            contact_id=record.pk
        ).values("activity_id")
        queryset = queryset.filter(
            Q(link_entity="contact", link_id=record.pk) | Q(pk__in=participating)
        )
    else:
        queryset = queryset.filter(link_entity=entity_name, link_id=record.pk)
    return queryset.select_related("owner").order_by("-occurs_at", "-id")


def mine(user) -> Q:
    """Return the condition of activities a user owns or takes part in."""
    participating = Activity.participant_users.through.objects.filter(user_id=user.pk).values(
        "activity_id"
    )
    return Q(owner_id=user.pk) | Q(pk__in=participating)


@dataclass
class MyDay:
    overdue: list[Activity]
    today: list[Activity]
    upcoming: list[Activity]
    undated: list[Activity]
    done_today: list[Activity]


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the start and end of a day in the current time zone, as aware datetimes."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def my_day(user, *, days_ahead: int = 7) -> MyDay:
    """Return a user's open activities: overdue, today's and the next days', plus done today.

    Each part is one query on the (owner, status, occurs_at) index; open tasks without a
    date are listed apart.
    """
    today = timezone.localdate()
    start, end = day_bounds(today)
    horizon = end + datetime.timedelta(days=days_ahead)
    base = (
        visible_activities(user)
        .filter(mine(user))
        .select_related("owner")
        .order_by("occurs_at", "id")
    )
    open_ = base.filter(status__in=OPEN_STATUSES)
    dated = Q(due_at__isnull=False) | Q(starts_at__isnull=False)
    return MyDay(
        overdue=list(open_.filter(dated, occurs_at__lt=start)[:MY_DAY_LIMIT]),
        today=list(open_.filter(dated, occurs_at__gte=start, occurs_at__lt=end)[:MY_DAY_LIMIT]),
        upcoming=list(
            open_.filter(dated, occurs_at__gte=end, occurs_at__lt=horizon)[:MY_DAY_LIMIT]
        ),
        undated=list(open_.filter(due_at__isnull=True, starts_at__isnull=True)[:MY_DAY_LIMIT]),
        done_today=list(
            base.filter(completed_at__gte=start, completed_at__lt=end).order_by("-completed_at")[
                :MY_DAY_LIMIT
            ]
        ),
    )


def in_range(user, start: datetime.datetime, end: datetime.datetime, *, owners=None) -> QuerySet:
    """Return the activities the user may see that take place between two moments."""
    queryset = visible_activities(user).filter(occurs_at__gte=start, occurs_at__lt=end)
    if owners is not None:
        queryset = queryset.filter(owner__in=owners)
    return queryset.select_related("owner").order_by("occurs_at", "id")


def messages_visible_to(user) -> QuerySet:
    """Return the messages a user may see: those they sent, and those of records they see.

    A message belongs to the record it was sent from or matched to, and to its customer
    and contact; seeing any of them (through the one data-scope path) shows the message.
    Administrators see every message.
    """
    from guanxi.activities import links
    from guanxi.activities.models import Message
    from guanxi.core import registry

    if user.is_superuser:
        return Message.objects.all()
    condition = Q(sender_id=user.pk)
    for name in links.linkable_entities():
        model = registry.get(name).model
        visible = model.objects.visible_to(user, Action.VIEW).values("pk")
        condition |= Q(link_entity=name, link_id__in=visible)
        if name == "account":
            condition |= Q(account_id__in=visible)
        elif name == "contact":
            condition |= Q(contact_id__in=visible)
    return Message.objects.filter(condition)


def message_list_for(user, params) -> QuerySet:
    """Return the messages a user may see, filtered by channel, status, direction and dates."""
    queryset = messages_visible_to(user)
    channel = params.get("channel") or ""
    if channel:
        queryset = queryset.filter(channel=channel)
    status = params.get("status") or ""
    if status:
        queryset = queryset.filter(status=status)
    direction = params.get("direction") or ""
    if direction:
        queryset = queryset.filter(direction=direction)
    for key, lookup in (("date_from", "created_at__gte"), ("date_to", "created_at__lt")):
        day = params.get(key)
        if isinstance(day, str):
            try:
                day = datetime.date.fromisoformat(day) if day else None
            except ValueError:
                day = None
        if day:
            if key == "date_to":
                day = day + datetime.timedelta(days=1)
            queryset = queryset.filter(**{lookup: day_bounds(day)[0]})
    for key in ("batch", "link_id", "account", "contact"):
        value = params.get(key)
        if value not in (None, "") and str(value).isdigit():
            field = {"account": "account_id", "contact": "contact_id", "batch": "batch_id"}.get(
                key, key
            )
            queryset = queryset.filter(**{field: int(value)})
    link_entity = params.get("link_entity") or ""
    if link_entity:
        queryset = queryset.filter(link_entity=link_entity)
    return queryset.select_related("sender", "account", "contact").order_by("-created_at", "-id")


def messages_of(entity_name: str, record, user) -> QuerySet:
    """Return the messages of one record the user may see, newest first."""
    queryset = messages_visible_to(user)
    if entity_name == "account":
        queryset = queryset.filter(account_id=record.pk)
    elif entity_name == "contact":
        queryset = queryset.filter(
            Q(contact_id=record.pk) | Q(link_entity="contact", link_id=record.pk)
        )
    else:
        queryset = queryset.filter(link_entity=entity_name, link_id=record.pk)
    return queryset.select_related("sender").order_by("-created_at", "-id")
