"""Tags and groups of records: the writes (tag, untag, add to group) and the reads lists share.

A record's tags are written with the record's other changes and show in its history as
`tags: [before, after]`. Group membership is a change of the group, recorded there.
Records in bulk go by primary-key chunks, so a selection of 100,000 rows stays in memory
500 at a time and a background job can report progress.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from guanxi.core import audit, events
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import Group, GroupMember, Tag, Tagging, User
from guanxi.core.permissions import require
from guanxi.core.registry import Entity

TAG_NAME_LENGTH = 50
CHUNK = 500


def clean_tag_names(names: Iterable[Any]) -> list[str]:
    """Return the distinct, trimmed, non-empty tag names in the order given."""
    seen: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw or "").split())[:TAG_NAME_LENGTH]
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return list(seen.values())


def tags_named(names: Iterable[str], *, actor: User | None, create: bool = True) -> list[Tag]:
    """Return the tags of these names, creating the missing ones (any user may add a tag)."""
    names = clean_tag_names(names)
    if not names:
        return []
    existing = {tag.name.casefold(): tag for tag in Tag.objects.filter(name__in=names)}
    # Names differing only in case are the same tag.
    missing = [name for name in names if name.casefold() not in existing]
    if missing:
        for tag in Tag.objects.filter(
            Q.create([("name__iexact", name) for name in missing], connector=Q.OR)
        ):
            existing[tag.name.casefold()] = tag
    tags = []
    for name in names:
        tag = existing.get(name.casefold())
        if tag is None and create:
            tag, _created = Tag.objects.get_or_create(name=name, defaults={"created_by": actor})
        if tag is not None:
            tags.append(tag)
    return tags


def tags_by_record(entity_name: str, ids: Iterable[int]) -> dict[int, list[Tag]]:
    """Return {record id: its tags by name} in one query."""
    result: dict[int, list[Tag]] = {}
    rows = (
        Tagging.objects.filter(entity=entity_name, object_id__in=list(ids))
        .select_related("tag")
        .order_by("tag__name")
    )
    for tagging in rows:
        result.setdefault(tagging.object_id, []).append(tagging.tag)
    return result


def groups_by_record(entity_name: str, ids: Iterable[int], user) -> dict[int, list[Group]]:
    """Return {record id: the groups the user may see that hold it} in one query."""
    result: dict[int, list[Group]] = {}
    visible = Group.objects.visible_to(user, Action.VIEW).filter(entity=entity_name)
    rows = (
        GroupMember.objects.filter(object_id__in=list(ids), group__in=visible)
        .select_related("group")
        .order_by("group__name")
    )
    for member in rows:
        result.setdefault(member.object_id, []).append(member.group)
    return result


def attach(entity: Entity, records: list, user) -> list:
    """Set `tag_list` and `group_list` on each record: two queries for a whole page."""
    ids = [record.pk for record in records]
    tags = tags_by_record(entity.name, ids) if entity.has_tags and ids else {}
    groups = groups_by_record(entity.name, ids, user) if entity.has_groups and ids else {}
    for record in records:
        record.tag_list = tags.get(record.pk, [])
        record.group_list = groups.get(record.pk, [])
    return records


def with_tags(entity: Entity, records: Iterable, chunk_size: int = 2000):
    """Yield records with `tag_list` set, one tag query per chunk (for streamed exports)."""
    if not entity.has_tags:
        yield from records
        return
    chunk: list = []
    for record in records:
        chunk.append(record)
        if len(chunk) == chunk_size:
            yield from _tagged(entity, chunk)
            chunk = []
    yield from _tagged(entity, chunk)


def _tagged(entity: Entity, chunk: list) -> list:
    tags = tags_by_record(entity.name, [record.pk for record in chunk]) if chunk else {}
    for record in chunk:
        record.tag_list = tags.get(record.pk, [])
    return chunk


def tag_condition(entity_name: str):
    """Return a list filter: records carrying any of the named tags."""

    def condition(values: list[str], user) -> Q:
        taggings = Tagging.objects.filter(entity=entity_name, tag__name__in=values)
        return Q(pk__in=taggings.values("object_id"))

    return condition


def group_condition(entity_name: str):
    """Return a list filter: records in any of the groups (by id) the user may see."""

    def condition(values: list[str], user) -> Q:
        ids = [int(value) for value in values if value.isdigit()]
        groups = Group.objects.visible_to(user, Action.VIEW).filter(entity=entity_name, pk__in=ids)
        members = GroupMember.objects.filter(group__in=groups)
        return Q(pk__in=members.values("object_id"))

    return condition


def tag_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in Tag.objects.order_by("name").values_list("name", flat=True)]


def group_choices(entity_name: str):
    def choices(user) -> list[tuple[str, str]]:
        groups = Group.objects.visible_to(user, Action.VIEW).filter(entity=entity_name)
        return [(str(pk), name) for pk, name in groups.order_by("name").values_list("pk", "name")]

    return choices


def record_tags_set(
    *, actor: User | None, entity: Entity, instance, names: Iterable[str]
) -> list[list[str]] | None:
    """Make a record's tags exactly these names; return [before, after] or None if unchanged.

    The caller owns the transaction and writes the history row with the record's changes.
    """
    tags = tags_named(names, actor=actor)
    links = Tagging.objects.filter(entity=entity.name, object_id=instance.pk)
    current = list(links.select_related("tag"))
    before = sorted(tagging.tag.name for tagging in current)
    links.exclude(tag_id__in=[tag.pk for tag in tags]).delete()
    have = {tagging.tag_id for tagging in current}
    Tagging.objects.bulk_create(
        [
            Tagging(tag=tag, entity=entity.name, object_id=instance.pk)
            for tag in tags
            if tag.pk not in have
        ],
        ignore_conflicts=True,
    )
    after = sorted(tag.name for tag in tags)
    return None if before == after else [before, after]


def _chunks(queryset, size: int = CHUNK):
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        last = ids[-1]
        yield ids


def records_tag(
    *,
    actor: User,
    entity: Entity,
    queryset,
    names: Iterable[str],
    remove: bool = False,
    progress=None,
) -> int:
    """Add (or remove) tags on every record of a selection the actor may edit.

    Each record whose tags changed gets a history row; returns how many changed.
    """
    require(actor, entity.name, Action.EDIT)
    tags = tags_named(names, actor=actor, create=not remove)
    if not tags:
        return 0
    batch = uuid.uuid4().hex
    scoped = queryset.visible_to(actor, Action.EDIT)
    changed = 0
    with transaction.atomic():
        for ids in _chunks(scoped):
            before = tags_by_record(entity.name, ids)
            links = Tagging.objects.filter(entity=entity.name, object_id__in=ids, tag__in=tags)
            if remove:
                links.delete()
            else:
                Tagging.objects.bulk_create(
                    [
                        Tagging(tag=tag, entity=entity.name, object_id=pk)
                        for pk in ids
                        for tag in tags
                    ],
                    ignore_conflicts=True,
                )
            changed += _record_tag_history(actor, entity, ids, before, tags, remove, batch)
            if progress:
                progress(len(ids))
    return changed


def _record_tag_history(actor, entity, ids, before, tags, remove, batch) -> int:
    names = {tag.name for tag in tags}
    records = entity.model.objects.in_bulk(ids)
    changed = 0
    for pk in ids:
        old = sorted(tag.name for tag in before.get(pk, []))
        new = sorted(set(old) - names) if remove else sorted(set(old) | names)
        if old == new or pk not in records:
            continue
        audit.record(
            actor=actor,
            entity=entity.name,
            instance=records[pk],
            action=AuditAction.UPDATE,
            changes={"tags": [old, new]},
            batch=batch,
        )
        changed += 1
    events.emit(f"{entity.name}.tagged", entity=entity.name, ids=ids, actor_id=actor.pk)
    return changed


def group_for_edit(actor: User, group_id: int) -> Group | None:
    """Return a group the actor may change the members of, or None."""
    return Group.objects.visible_to(actor, Action.EDIT).filter(pk=group_id).first()


def group_add(*, actor: User, group: Group, queryset, progress=None) -> int:
    """Add the records of a selection the actor may view to a group; return how many joined."""
    from guanxi.core import registry

    require(actor, "group", Action.EDIT)
    entity = registry.get(group.entity)
    if queryset.model is not entity.model:
        raise ValueError(_("This group holds other kinds of records."))
    scoped = queryset.visible_to(actor, Action.VIEW)
    added = 0
    with transaction.atomic():
        locked = Group.objects.select_for_update().get(pk=group.pk)
        for ids in _chunks(scoped):
            present = set(
                GroupMember.objects.filter(group=locked, object_id__in=ids).values_list(
                    "object_id", flat=True
                )
            )
            new = [pk for pk in ids if pk not in present]
            GroupMember.objects.bulk_create(
                [GroupMember(group=locked, object_id=pk, added_by=actor) for pk in new],
                ignore_conflicts=True,
            )
            added += len(new)
            if progress:
                progress(len(ids))
        if added:
            _group_history(actor, locked, {"members_added": [None, added]})
    return added


def group_remove(*, actor: User, group: Group, ids: Iterable[int]) -> int:
    """Take records out of a group; return how many left it."""
    require(actor, "group", Action.EDIT)
    with transaction.atomic():
        deleted, _rows = GroupMember.objects.filter(group=group, object_id__in=list(ids)).delete()
        if deleted:
            _group_history(actor, group, {"members_removed": [None, deleted]})
    return deleted


class UnknownGroups(ValueError):
    """Raised when a record is to join groups that do not exist or the actor may not change."""


def record_groups_set(*, actor: User, entity: Entity, instance, group_ids: Iterable[int]) -> None:
    """Make a record a member of exactly these groups, among those the actor may edit.

    Groups the actor may not change keep the record as they have it.
    """
    group_ids = set(group_ids)
    editable = Group.objects.visible_to(actor, Action.EDIT).filter(entity=entity.name)
    wanted = set(editable.filter(pk__in=group_ids).values_list("pk", flat=True))
    if wanted != group_ids:
        raise UnknownGroups(sorted(group_ids - wanted))
    current = set(
        GroupMember.objects.filter(object_id=instance.pk, group__in=editable).values_list(
            "group_id", flat=True
        )
    )
    for group in Group.objects.filter(pk__in=wanted - current):
        group_add(actor=actor, group=group, queryset=entity.model.objects.filter(pk=instance.pk))
    for group in Group.objects.filter(pk__in=current - wanted):
        group_remove(actor=actor, group=group, ids=[instance.pk])


def _group_history(actor: User, group: Group, changes: dict) -> None:
    audit.record(
        actor=actor, entity="group", instance=group, action=AuditAction.UPDATE, changes=changes
    )
    events.emit("group.members_changed", entity="group", id=group.pk, actor_id=actor.pk)


def forget_record(entity_name: str, ids: Iterable[int]) -> None:
    """Drop the tags and group memberships of deleted records."""
    ids = list(ids)
    Tagging.objects.filter(entity=entity_name, object_id__in=ids).delete()
    GroupMember.objects.filter(group__entity=entity_name, object_id__in=ids).delete()
