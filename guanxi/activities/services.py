"""Writes of activities beyond a form save: completing, series, logging from other modules."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from guanxi.activities import links, recurrence
from guanxi.activities.choices import ActivityKind, ActivityStatus
from guanxi.activities.models import Activity, ActivityAttachment
from guanxi.core import audit, registry
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import ensure_in_scope, require
from guanxi.core.services import StaleRecord, record_written

# Fields an occurrence copies from the first activity of its series.
COPIED_FIELDS = (
    "kind",
    "subject",
    "description",
    "priority",
    "all_day",
    "location",
    "owner_id",
    "link_entity",
    "link_id",
    "account_id",
    "remind_before",
    "recurrence",
    "recurrence_interval",
    "recurrence_until",
    "custom",
)


def _copy(source: Activity, actor: User | None, shift: datetime.timedelta) -> Activity:
    copy = Activity(
        **{name: getattr(source, name) for name in COPIED_FIELDS},
        status=ActivityStatus.PLANNED,
        series_id=source.series_id or source.pk,
        created_by=actor,
        updated_by=actor,
    )
    if source.starts_at:
        copy.starts_at = source.starts_at + shift
    if source.ends_at:
        copy.ends_at = source.ends_at + shift
    if source.due_at:
        copy.due_at = source.due_at + shift
    return copy


def _copy_participants(source: Activity, copies: Iterable[Activity]) -> None:
    users = list(source.participant_users.values_list("pk", flat=True))
    contacts = list(source.participant_contacts.values_list("pk", flat=True))
    user_rows, contact_rows = [], []
    for copy in copies:
        user_rows += [
            Activity.participant_users.through(activity_id=copy.pk, user_id=pk) for pk in users
        ]
        contact_rows += [
            Activity.participant_contacts.through(activity_id=copy.pk, contact_id=pk)
            for pk in contacts
        ]
    Activity.participant_users.through.objects.bulk_create(user_rows)
    Activity.participant_contacts.through.objects.bulk_create(contact_rows)


def schedule_series(actor: User | None, first: Activity) -> list[Activity]:
    """Create the occurrences of a repeating meeting, call or visit after the first one."""
    if not first.recurrence or first.starts_at is None or first.kind == ActivityKind.TASK:
        return []
    start = timezone.localtime(first.starts_at)
    copies = []
    for moment in recurrence.moments(
        start, first.recurrence, first.recurrence_interval, first.recurrence_until
    ):
        copy = _copy(first, actor, moment - start)
        copy.save()
        copies.append(copy)
    _copy_participants(first, copies)
    return copies


def schedule_next_task(actor: User | None, done: Activity) -> Activity | None:
    """Create the next occurrence of a repeating task that was just completed."""
    moment = done.due_at or done.starts_at
    if not done.recurrence or moment is None:
        return None
    if Activity.objects.filter(series_id=done.series_id or done.pk, occurs_at__gt=moment).exists():
        return None
    local = timezone.localtime(moment)
    following = next(
        iter(
            recurrence.moments(
                local, done.recurrence, done.recurrence_interval, done.recurrence_until, limit=1
            )
        ),
        None,
    )
    if following is None:
        return None
    copy = _copy(done, actor, following - local)
    copy.save()
    _copy_participants(done, [copy])
    return copy


def after_write(actor: User, activity: Activity, before: dict | None) -> None:
    """Create a new series' occurrences, and a repeating task's next one once it is done."""
    if before is None and activity.series_id is None:
        schedule_series(actor, activity)
    newly_done = activity.status == ActivityStatus.DONE and (
        before is None or before.get("status") != ActivityStatus.DONE
    )
    if newly_done and activity.kind == ActivityKind.TASK:
        schedule_next_task(actor, activity)


@transaction.atomic
def activity_set_status(
    *,
    actor: User,
    activity: Activity,
    status: str,
    outcome: str = "",
    outcome_note: str = "",
    expected_version: int | None = None,
) -> Activity:
    """Mark an activity done (with its outcome), cancelled, or open again."""
    entity = registry.get("activity")
    require(actor, entity.name, Action.EDIT)
    current = Activity.objects.select_for_update().get(pk=activity.pk)
    ensure_in_scope(actor, current, Action.EDIT)
    if expected_version is not None and current.version != expected_version:
        raise StaleRecord
    before = audit.snapshot(current)
    current.status = status
    if outcome:
        current.outcome = outcome
    if outcome_note:
        current.outcome_note = outcome_note
    current.updated_by = actor
    current.version += 1
    current.save()
    after_write(actor, current, before)
    record_written(
        actor=actor,
        entity=entity,
        instance=current,
        action=AuditAction.UPDATE,
        changes=audit.diff(before, audit.snapshot(current)),
    )
    return current


@transaction.atomic
def activity_log(
    *,
    actor: User | None,
    kind: str,
    subject: str,
    record=None,
    description: str = "",
    status: str = ActivityStatus.DONE,
    owner: User | None = None,
    at: datetime.datetime | None = None,
    contacts: Iterable = (),
    users: Iterable = (),
) -> Activity:
    """Record an activity another module performed: an email sent, an SMS, a call.

    The activity links to `record` (any linkable entity) and, through it, to its
    customer; it is written with its history and event like one entered by hand.
    """
    entity = registry.get("activity")
    link_entity = ""
    if record is not None:
        record_entity = registry.for_model(type(record))
        link_entity = record_entity.name if record_entity else ""
    activity = Activity(
        kind=kind,
        subject=subject[:200],
        description=description,
        status=status,
        owner=owner or actor,
        link_entity=link_entity if links.linkable(link_entity) else "",
        link_id=record.pk if record is not None and links.linkable(link_entity) else None,
        account_id=links.account_id_of(link_entity, record),
        created_by=actor,
        updated_by=actor,
    )
    if at is not None:
        activity.occurs_at = at
        if status == ActivityStatus.DONE:
            activity.completed_at = at
    activity.save()
    if contacts:
        activity.participant_contacts.set(contacts)
    if users:
        activity.participant_users.set(users)
    after = audit.snapshot(activity)
    record_written(
        actor=actor,
        entity=entity,
        instance=activity,
        action=AuditAction.CREATE,
        changes={key: [None, value] for key, value in after.items() if value not in (None, "")},
    )
    return activity


def event_payload(activity: Activity) -> dict:
    """Say which customer an activity is with and, once done, when it happened.

    The customers app restarts the public-pool follow-up clock on it.
    """
    done = activity.status == ActivityStatus.DONE
    at = activity.completed_at if activity.kind == ActivityKind.TASK else activity.occurs_at
    return {
        "account_id": activity.account_id if done else None,
        "occurred_at": at.isoformat() if done and at else None,
        "kind": activity.kind,
        "link_entity": activity.link_entity,
        "link_id": activity.link_id,
    }


@transaction.atomic
def attachment_add(
    *, actor: User | None, activity: Activity, upload, name: str = "", content_type: str = ""
) -> ActivityAttachment:
    """Store a file on an activity and note it in the activity's history."""
    attachment = ActivityAttachment(
        activity=activity,
        name=(name or upload.name or "file")[:200],
        size=upload.size or 0,
        content_type=(content_type or getattr(upload, "content_type", "") or "")[:100],
        uploaded_by=actor,
    )
    attachment.file.save(attachment.name, upload, save=False)
    attachment.save()
    audit.record(
        actor=actor,
        entity="activity",
        instance=activity,
        action=AuditAction.UPDATE,
        changes={"attachments": [None, attachment.name]},
    )
    return attachment
