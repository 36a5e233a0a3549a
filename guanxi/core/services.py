"""Generic writes for registered entities: create, update, delete, bulk, share, assign.

Each service is one transaction: it checks the actor's permission, writes, re-checks that
the written record is still inside the actor's data scope (rolling back otherwise), writes
the change history, refreshes the search index and emits the domain event on commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from guanxi.core import audit, dedupe, events, grouping, locks, search
from guanxi.core.choices import Action, AuditAction, NotificationCategory
from guanxi.core.models import Sequence, Share, Team, User
from guanxi.core.notifications import notify
from guanxi.core.permissions import can, ensure_in_scope, require
from guanxi.core.registry import Entity


class StaleRecord(Exception):
    """Raised when a record changed since the user loaded it (optimistic locking)."""

    message = gettext_lazy(
        "Someone else changed this record while you were editing it. "
        "Reload it to see their changes, then make yours again."
    )


def sequence_next(*, key: str, prefix: str = "", padding: int = 6) -> str:
    """Return the next number of a numbering rule, created with defaults on first use."""
    with transaction.atomic():
        sequence, _created = Sequence.objects.select_for_update().get_or_create(
            key=key, defaults={"prefix": prefix, "padding": padding}
        )
        value = sequence.next_value
        Sequence.objects.filter(pk=sequence.pk).update(next_value=F("next_value") + 1)
    return sequence.format(value)


def record_written(
    *,
    actor: User | None,
    entity: Entity,
    instance: models.Model,
    action: str,
    changes: dict[str, list[Any]],
    batch: str = "",
) -> None:
    """Do what follows every write of a record: history, search index, event on commit."""
    audit.record(
        actor=actor,
        entity=entity.name,
        instance=instance,
        action=action,
        changes=changes,
        batch=batch,
    )
    if action == AuditAction.DELETE:
        search.unindex_records(entity.name, [instance.pk])
        dedupe.unindex_records(entity.name, [instance.pk])
    else:
        search.index_record(entity.name, instance)
        dedupe.index_record(entity.name, instance)
    past = {"create": "created", "update": "updated", "delete": "deleted"}.get(action, action)
    extra = entity.event_payload(instance) if entity.event_payload else {}
    events.emit(
        f"{entity.name}.{past}",
        entity=entity.name,
        id=instance.pk,
        actor_id=getattr(actor, "pk", None),
        changes=changes,
        **extra,
    )


def _owner_changed(entity: Entity, before: dict, after: dict) -> bool:
    return "owner" in before and (before.get("owner") or {}).get("id") != (
        after.get("owner") or {}
    ).get("id")


@transaction.atomic
def record_create(*, actor: User, entity: Entity, form) -> models.Model:
    """Create a record from a valid entity form."""
    require(actor, entity.name, Action.CREATE)
    instance = form.save(commit=False)
    instance.created_by = actor
    instance.updated_by = actor
    if hasattr(instance, "owner_id") and instance.owner_id is None:
        instance.owner = actor
    if entity.number_sequence and not getattr(instance, "number", ""):
        instance.number = sequence_next(key=entity.number_sequence, prefix=entity.number_sequence)
    instance.save()
    form.save_m2m()
    if getattr(instance, "owner_id", actor.pk) == actor.pk or not can(
        actor, entity.name, Action.ASSIGN
    ):
        ensure_in_scope(actor, instance, Action.CREATE)
    after = audit.snapshot(instance)
    changes = {key: [None, value] for key, value in after.items() if value not in (None, "", [])}
    changes.update(_save_tags(actor, entity, form, instance))
    if entity.after_write:
        entity.after_write(actor, instance, None)
    record_written(
        actor=actor, entity=entity, instance=instance, action=AuditAction.CREATE, changes=changes
    )
    if getattr(instance, "owner_id", actor.pk) != actor.pk:
        _notify_assigned(actor=actor, entity=entity, instance=instance)
    return instance


@transaction.atomic
def record_update(
    *, actor: User, entity: Entity, form, expected_version: int | None
) -> models.Model:
    """Save a valid edit form; refuse it if the record changed since it was loaded."""
    require(actor, entity.name, Action.EDIT)
    model = entity.model
    current = model.objects.select_for_update().get(pk=form.instance.pk)
    ensure_in_scope(actor, current, Action.EDIT)
    if (
        expected_version is not None
        and hasattr(current, "version")
        and current.version != expected_version
    ):
        raise StaleRecord
    before = audit.snapshot(current)
    instance = form.save(commit=False)
    after = audit.snapshot(instance)
    locks.check_edit(
        actor=actor, entity_name=entity.name, record=instance, fields=audit.diff(before, after)
    )
    owner_changed = _owner_changed(entity, before, after)
    if owner_changed:
        require(actor, entity.name, Action.ASSIGN)
    instance.updated_by = actor
    if hasattr(instance, "version"):
        instance.version = current.version + 1
    instance.save()
    form.save_m2m()
    if not owner_changed:
        ensure_in_scope(actor, instance, Action.EDIT)
    if entity.after_write:
        entity.after_write(actor, instance, before)
    record_written(
        actor=actor,
        entity=entity,
        instance=instance,
        action=AuditAction.UPDATE,
        changes={**audit.diff(before, after), **_save_tags(actor, entity, form, instance)},
    )
    if owner_changed and instance.owner_id and instance.owner_id != actor.pk:
        _notify_assigned(actor=actor, entity=entity, instance=instance)
    return instance


@transaction.atomic
def record_delete(*, actor: User, entity: Entity, instance: models.Model) -> None:
    """Delete one record the actor may delete."""
    require(actor, entity.name, Action.DELETE)
    ensure_in_scope(actor, instance, Action.DELETE)
    changes = {key: [value, None] for key, value in audit.snapshot(instance).items() if value}
    record_written(
        actor=actor, entity=entity, instance=instance, action=AuditAction.DELETE, changes=changes
    )
    Share.objects.filter(entity=entity.name, object_id=instance.pk).delete()
    if entity.has_tags or entity.has_groups:
        grouping.forget_record(entity.name, [instance.pk])
    instance.delete()


def _save_tags(actor: User, entity: Entity, form, instance) -> dict[str, list[Any]]:
    """Save the tags chosen on an entity form; return the history change, if any."""
    if not entity.has_tags or not getattr(form, "tags_sent", lambda: False)():
        return {}
    change = grouping.record_tags_set(
        actor=actor, entity=entity, instance=instance, names=form.cleaned_data["tags"]
    )
    if change is None:
        return {}
    before, after = change
    return {"tags": [before or None, after or None]}


def _chunks(queryset, size: int = 500) -> Iterable[list[models.Model]]:
    """Yield a queryset's rows in primary-key order, a chunk at a time, without OFFSET."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not rows:
            return
        last = rows[-1].pk  # read before the caller may delete the rows
        yield rows


def records_bulk_update(
    *,
    actor: User,
    entity: Entity,
    queryset,
    values: dict[str, Any],
    custom_values: dict[str, Any] | None = None,
    progress=None,
) -> int:
    """Set the same values on every record of a selection; one history row per record.

    The selection is narrowed to the records the actor may edit. The whole selection is
    one transaction: a record that would leave the actor's scope rolls all of it back.
    """
    require(actor, entity.name, Action.EDIT)
    if "owner" in values:
        require(actor, entity.name, Action.ASSIGN)
    custom_values = custom_values or {}
    batch = uuid.uuid4().hex
    scoped = queryset.visible_to(actor, Action.EDIT).select_related(*entity.select_related)
    count = 0
    with transaction.atomic():
        if entity.before_bulk_set is not None:
            entity.before_bulk_set(actor, scoped, values)
        for rows in _chunks(scoped):
            for instance in rows:
                before = audit.snapshot(instance)
                for name, value in values.items():
                    setattr(instance, name, value)
                if entity.on_bulk_set is not None:
                    entity.on_bulk_set(instance, values.keys())
                if custom_values:
                    instance.custom = {**instance.custom, **custom_values}
                    instance.custom = {k: v for k, v in instance.custom.items() if v is not None}
                after = audit.snapshot(instance)
                changes = audit.diff(before, after)
                if not changes:
                    continue
                locks.check_edit(
                    actor=actor, entity_name=entity.name, record=instance, fields=changes
                )
                instance.updated_by = actor
                if hasattr(instance, "version"):
                    instance.version = F("version") + 1
                instance.save()
                if hasattr(instance, "version"):
                    instance.refresh_from_db(fields=["version"])
                if "owner" not in values:
                    ensure_in_scope(actor, instance, Action.EDIT)
                record_written(
                    actor=actor,
                    entity=entity,
                    instance=instance,
                    action=AuditAction.UPDATE,
                    changes=changes,
                    batch=batch,
                )
                count += 1
            if progress:
                progress(len(rows))
    return count


def records_bulk_delete(*, actor: User, entity: Entity, queryset, progress=None) -> int:
    """Delete every record of a selection the actor may delete, in one transaction."""
    require(actor, entity.name, Action.DELETE)
    count = 0
    with transaction.atomic():
        for rows in _chunks(queryset.visible_to(actor, Action.DELETE)):
            for instance in rows:
                record_delete(actor=actor, entity=entity, instance=instance)
                count += 1
            if progress:
                progress(len(rows))
    return count


@transaction.atomic
def record_share(
    *,
    actor: User,
    entity: Entity,
    instance: models.Model,
    users: Iterable[User] = (),
    teams: Iterable[Team] = (),
    access: str = "read",
) -> list[Share]:
    """Share a record with users and teams for reading or editing (共享)."""
    require(actor, entity.name, Action.EDIT)
    ensure_in_scope(actor, instance, Action.EDIT)
    shares = []
    for user in users:
        share, _created = Share.objects.update_or_create(
            entity=entity.name,
            object_id=instance.pk,
            user=user,
            team=None,
            defaults={"access": access, "created_by": actor},
        )
        shares.append(share)
    for team in teams:
        share, _created = Share.objects.update_or_create(
            entity=entity.name,
            object_id=instance.pk,
            team=team,
            user=None,
            defaults={"access": access, "created_by": actor},
        )
        shares.append(share)
    names = [str(share.user or share.team) for share in shares]
    audit.record(
        actor=actor,
        entity=entity.name,
        instance=instance,
        action=AuditAction.SHARE,
        changes={"shared_with": [None, ", ".join(names)], "access": [None, access]},
    )
    events.emit(f"{entity.name}.shared", entity=entity.name, id=instance.pk, actor_id=actor.pk)
    for share in shares:
        if share.user_id and share.user_id != actor.pk:
            with override(share.user.language or settings.LANGUAGE_CODE):
                notify(
                    recipient=share.user,
                    title=_("%(user)s shared %(record)s with you")
                    % {"user": actor, "record": instance},
                    url=_detail_url(entity, instance),
                    category=NotificationCategory.SHARE,
                )
    return shares


@transaction.atomic
def record_unshare(*, actor: User, entity: Entity, instance: models.Model, share_id: int) -> None:
    """Take back one share of a record."""
    require(actor, entity.name, Action.EDIT)
    ensure_in_scope(actor, instance, Action.EDIT)
    share = Share.objects.get(pk=share_id, entity=entity.name, object_id=instance.pk)
    audit.record(
        actor=actor,
        entity=entity.name,
        instance=instance,
        action=AuditAction.SHARE,
        changes={"shared_with": [str(share.user or share.team), None]},
    )
    share.delete()


def _detail_url(entity: Entity, instance) -> str:
    from django.urls import reverse

    return reverse(entity.url_name("detail"), args=[instance.pk])


def _notify_assigned(*, actor: User, entity: Entity, instance) -> None:
    owner = instance.owner
    if owner is None or not owner.is_active:
        return
    with override(owner.language or settings.LANGUAGE_CODE):
        notify(
            recipient=owner,
            title=_("%(user)s assigned %(entity)s %(record)s to you")
            % {"user": actor, "entity": entity.verbose_name, "record": instance},
            url=_detail_url(entity, instance),
            category=NotificationCategory.ASSIGNMENT,
        )
    events.emit(
        f"{entity.name}.assigned",
        entity=entity.name,
        id=instance.pk,
        actor_id=actor.pk,
        owner_id=owner.pk,
    )


def ensure_permission(user: User, entity: Entity, action: str) -> None:
    if not can(user, entity.name, action):
        raise PermissionDenied
