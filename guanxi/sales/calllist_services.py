"""Writes of telesales call lists (SAL-7): build a list, split it, record each call.

A list is built from a selection of leads, contacts or customers (the ticked rows or all
rows matching a list filter) and split among reps. A rep works through their entries on
the call screen; each outcome logs a call activity on the record and may schedule a
callback, which becomes a task at that time.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from guanxi.activities import links
from guanxi.activities.choices import ActivityKind, ActivityStatus
from guanxi.activities.models import Activity
from guanxi.activities.services import activity_log
from guanxi.core import audit, events, registry
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import can, ensure_in_scope, require, scope_filter
from guanxi.core.services import record_written
from guanxi.sales.calllist_choices import CallListStatus, EntryStatus, SplitMethod
from guanxi.sales.models import CallAttempt, CallList, CallListEntry, CallOutcome

CALLABLE_ENTITIES = ("lead", "contact", "account")
BATCH = 1000
# An entry called but not finished (no answer, busy) comes back after this long, this often.
RETRY_AFTER = datetime.timedelta(hours=1)
MAX_ATTEMPTS = 3


def kept_window() -> datetime.timedelta:
    """Return how close to its time a callback must be made to count as kept."""
    return datetime.timedelta(minutes=getattr(settings, "GUANXI_CALLBACK_KEPT_MINUTES", 30))


def split_assignments(
    total: int, reps: Sequence[int], method: str, counts: Sequence[int] = ()
) -> list[int]:
    """Return the rep id for each of `total` records in order.

    Evenly deals records out in turn (rep 1, rep 2, rep 1, …); by counts gives the first
    counts[0] records to rep 1, the next counts[1] to rep 2, and leaves out the rest.
    """
    if not reps:
        raise ValidationError({"reps": [_("Choose at least one rep.")]})
    if method == SplitMethod.EVENLY:
        return [reps[index % len(reps)] for index in range(total)]
    if len(counts) != len(reps) or any(count < 0 for count in counts):
        raise ValidationError({"counts": [_("Give a number of records for each rep.")]})
    if sum(counts) > total:
        raise ValidationError(
            {
                "counts": [
                    _("The counts add up to %(sum)s but only %(total)s records are selected.")
                    % {"sum": sum(counts), "total": total}
                ]
            }
        )
    assignments: list[int] = []
    for rep, count in zip(reps, counts, strict=True):
        assignments += [rep] * count
    return assignments


def _check_reps(actor: User, rep_ids: Sequence[int]) -> list[int]:
    reps = list(dict.fromkeys(int(pk) for pk in rep_ids)) or [actor.pk]
    active = set(User.objects.filter(pk__in=reps, is_active=True).values_list("pk", flat=True))
    if len(active) != len(reps):
        raise ValidationError({"reps": [_("Unknown or inactive user.")]})
    if reps != [actor.pk] and not can(actor, "calllist", Action.ASSIGN):
        raise PermissionDenied
    return reps


@transaction.atomic
def calllist_create(
    *,
    actor: User,
    name: str,
    entity: str,
    filter_query: str = "",
    description: str = "",
) -> CallList:
    """Create an empty call list of leads, contacts or customers, owned by the actor."""
    entity_spec = registry.get("calllist")
    require(actor, entity_spec.name, Action.CREATE)
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = [_("This field is required.")]
    if entity not in CALLABLE_ENTITIES or registry.find(entity) is None:
        errors["entity"] = [_("Call lists can hold leads, contacts or customers.")]
    if errors:
        raise ValidationError(errors)
    call_list = CallList.objects.create(
        name=name[:200],
        entity=entity,
        filter_query=filter_query[:2000],
        description=description,
        owner=actor,
        created_by=actor,
        updated_by=actor,
    )
    record_written(
        actor=actor,
        entity=entity_spec,
        instance=call_list,
        action=AuditAction.CREATE,
        changes={k: [None, v] for k, v in audit.snapshot(call_list).items() if v not in (None, "")},
    )
    return call_list


def calllist_add_records(
    *,
    actor: User,
    call_list: CallList,
    records,
    rep_ids: Sequence[int] = (),
    method: str = SplitMethod.EVENLY,
    counts: Sequence[int] = (),
    progress=None,
) -> int:
    """Add the records of a queryset to a list, split among reps; return how many were added.

    Records already on the list are left where they are. Rows are written in batches of
    one INSERT each, so that a list of 100,000 customers builds in a background job.
    """
    require(actor, "calllist", Action.EDIT)
    ensure_in_scope(actor, call_list, Action.EDIT)
    reps = _check_reps(actor, rep_ids)
    existing = set(call_list.entries.values_list("record_id", flat=True))
    ids = [pk for pk in records.order_by("pk").values_list("pk", flat=True) if pk not in existing]
    assignments = split_assignments(len(ids), reps, method, counts)
    start = (
        call_list.entries.order_by("-position").values_list("position", flat=True).first()
    ) or 0
    added = 0
    for offset in range(0, len(assignments), BATCH):
        chunk = assignments[offset : offset + BATCH]
        with transaction.atomic():
            CallListEntry.objects.bulk_create(
                [
                    CallListEntry(
                        call_list=call_list,
                        record_id=ids[offset + index],
                        assigned_to_id=rep,
                        position=start + offset + index + 1,
                    )
                    for index, rep in enumerate(chunk)
                ]
            )
        added += len(chunk)
        if progress is not None:
            progress(len(chunk))
    if added:
        audit.record(
            actor=actor,
            entity="calllist",
            instance=call_list,
            action=AuditAction.UPDATE,
            changes={"entries": [len(existing), len(existing) + added]},
        )
    return added


def next_entry(*, user: User, call_list: CallList) -> CallListEntry | None:
    """Return the entry the rep should call now: a due callback, else the next pending one,
    else one not reached an hour ago or more."""
    now = timezone.now()
    mine = CallListEntry.objects.filter(call_list=call_list, assigned_to=user)
    due = mine.filter(status=EntryStatus.CALLBACK, callback_at__lte=now + kept_window())
    entry = due.order_by("callback_at", "position").first()
    if entry is None:
        entry = mine.filter(status=EntryStatus.PENDING).order_by("position", "id").first()
    if entry is None:
        retry = mine.filter(status=EntryStatus.CALLED, last_called_at__lte=now - RETRY_AFTER)
        entry = retry.order_by("last_called_at", "position").first()
    return entry


def entry_for_caller(user: User, call_list: CallList, entry_id: int) -> CallListEntry:
    """Return an entry the user may call: their own, or any on a list they may edit.

    Raise PermissionDenied for someone else's entry on a list the user may only see.
    """
    entry = CallListEntry.objects.filter(call_list=call_list, pk=entry_id).first()
    if entry is None:
        raise CallListEntry.DoesNotExist
    if entry.assigned_to_id != user.pk:
        editable = scope_filter(CallList.objects.all(), user, Action.EDIT)
        if not can(user, "calllist", Action.EDIT) or not editable.filter(pk=call_list.pk).exists():
            raise PermissionDenied
    return entry


def entry_record(call_list: CallList, entry: CallListEntry):
    """Return the lead, contact or customer an entry stands for (None once deleted)."""
    model = registry.get(call_list.entity).model
    return model.objects.filter(pk=entry.record_id).first()


def _validate_outcome(call_list, outcome, callback_at, now) -> None:
    errors: dict[str, list[str]] = {}
    if call_list.status != CallListStatus.ACTIVE:
        errors["__all__"] = [_("This call list is not active.")]
    if outcome is None or not outcome.is_active:
        errors["outcome"] = [_("Choose an outcome.")]
    if callback_at is not None and callback_at <= now:
        errors["callback_at"] = [_("A callback must be in the future.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def calllist_record_outcome(
    *,
    actor: User,
    entry: CallListEntry,
    outcome: CallOutcome | None,
    note: str = "",
    callback_at: datetime.datetime | None = None,
) -> CallAttempt:
    """Record a call of an entry: log the call on the record, schedule any callback.

    A callback scheduled earlier counts as kept when this call comes within the window
    of its time. Without a callback the entry is done, or comes back later when the
    outcome does not finish it (no answer, busy) and attempts remain.
    """
    now = timezone.now()
    entry = CallListEntry.objects.select_for_update().select_related("call_list").get(pk=entry.pk)
    call_list = entry.call_list
    entry_for_caller(actor, call_list, entry.pk)
    _validate_outcome(call_list, outcome, callback_at, now)
    CallAttempt.objects.filter(
        entry=entry, callback_at__isnull=False, callback_kept__isnull=True
    ).update(callback_kept=False)
    if entry.status == EntryStatus.CALLBACK and entry.callback_at is not None:
        kept = abs(now - entry.callback_at) <= kept_window()
        CallAttempt.objects.filter(entry=entry, callback_at=entry.callback_at).update(
            callback_kept=kept
        )
    record = entry_record(call_list, entry)
    activity = activity_log(
        actor=actor,
        kind=ActivityKind.CALL,
        subject=_("Call: %(outcome)s") % {"outcome": outcome.name},
        record=record,
        description=linebreaks(escape(note)) if note else "",
        owner=actor,
        at=now,
    )
    if callback_at is not None:
        _callback_task(actor=actor, call_list=call_list, record=record, at=callback_at, note=note)
    entry.attempts += 1
    entry.last_called_at, entry.outcome, entry.note, entry.callback_at = now, outcome, note, None
    if callback_at is not None:
        entry.status, entry.callback_at = EntryStatus.CALLBACK, callback_at
    elif outcome.closes_entry or entry.attempts >= MAX_ATTEMPTS:
        entry.status = EntryStatus.DONE
    else:
        entry.status = EntryStatus.CALLED
    entry.save()
    attempt = CallAttempt.objects.create(
        entry=entry,
        call_list=call_list,
        rep=actor,
        called_at=now,
        outcome=outcome,
        is_connected=outcome.is_connected,
        note=note,
        callback_at=callback_at,
        activity=activity,
    )
    events.emit(
        "calllist.called",
        entity="calllist",
        id=call_list.pk,
        entry_id=entry.pk,
        record_entity=call_list.entity,
        record_id=entry.record_id,
        outcome=outcome.code,
        actor_id=actor.pk,
    )
    return attempt


def _callback_task(*, actor: User, call_list: CallList, record, at, note: str) -> Activity:
    """Create the rep's task to call the record back at the agreed time."""
    link_entity = call_list.entity if record is not None else ""
    task = Activity(
        kind=ActivityKind.TASK,
        subject=_("Call back: %(record)s") % {"record": record if record is not None else "—"},
        description=linebreaks(escape(note)) if note else "",
        status=ActivityStatus.PLANNED,
        owner=actor,
        due_at=at,
        remind_before=0,
        link_entity=link_entity if links.linkable(link_entity) else "",
        link_id=record.pk if record is not None and links.linkable(link_entity) else None,
        account_id=links.account_id_of(link_entity, record),
        created_by=actor,
        updated_by=actor,
    )
    task.derive_fields()
    task.save()
    record_written(
        actor=actor,
        entity=registry.get("activity"),
        instance=task,
        action=AuditAction.CREATE,
        changes={k: [None, v] for k, v in audit.snapshot(task).items() if v not in (None, "")},
    )
    return task


@transaction.atomic
def calllist_skip(*, actor: User, entry: CallListEntry, note: str = "") -> CallListEntry:
    """Take an entry off the rep's queue without calling it."""
    entry = CallListEntry.objects.select_for_update().select_related("call_list").get(pk=entry.pk)
    entry_for_caller(actor, entry.call_list, entry.pk)
    entry.status = EntryStatus.SKIPPED
    if note:
        entry.note = note
    entry.save(update_fields=["status", "note"])
    return entry
