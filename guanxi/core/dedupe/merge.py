"""Merge duplicates into one surviving record, keeping everything that pointed at them.

Generic for every registered entity: related rows are found through the model's reverse
relations (so deals, orders and tickets added by later apps move too), and rows that point
at a record by entity name and id (shares, change history, merges, and any model an app
registers with `record_reference`) are re-pointed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import audit, customfields, events, search
from guanxi.core.choices import Action, AuditAction, ShareAccess
from guanxi.core.dedupe import engine
from guanxi.core.models import AuditEntry, MergeRecord, Share, User
from guanxi.core.permissions import OutOfScope, ensure_in_scope, require
from guanxi.core.registry import Entity

# Models that point at any record by (entity name, id), beyond the platform's own.
_record_references: list[tuple[type[models.Model], str, str]] = []


def record_reference(model: type[models.Model], entity_field="entity", id_field="object_id"):
    """Register a model whose rows point at records by entity name and id, to be moved."""
    _record_references.append((model, entity_field, id_field))


# Steps an app adds to the merge of an entity, around the generic move of related rows:
# `before` resolves what moving would break (a unique link both records have), `after`
# tidies what moving leaves (two "current" rows). Both take survivor, duplicate_ids, actor.
_merge_steps: dict[str, list[tuple[Any, Any]]] = {}


def register_merge_step(entity_name: str, *, before=None, after=None) -> None:
    """Add app-specific work to every merge of an entity, inside its transaction."""
    _merge_steps.setdefault(entity_name, []).append((before, after))


class MergeRefused(Exception):
    """Raised when a merge cannot be done as asked; `message` tells the user why."""

    def __init__(self, message, status: int = 400):
        super().__init__(str(message))
        self.message = message
        self.status = status


STALE_MESSAGE = gettext_lazy(
    "One of the records changed since you opened the merge. Reload the page and check the "
    "values again."
)


def merge_fields(entity: Entity) -> list[str]:
    """Return the fields whose surviving value can be chosen: form fields and custom fields."""
    fields = list(entity.form_class._meta.fields)
    custom = [f"custom.{d.key}" for d in customfields.definitions(entity.name)]
    return [*fields, *custom]


def field_value(record: models.Model, key: str) -> Any:
    if key.startswith("custom."):
        return (record.custom or {}).get(key[len("custom.") :])
    model_field = record._meta.get_field(key)
    return getattr(record, model_field.attname)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def default_choices(entity: Entity, records: list[models.Model]) -> dict[str, int]:
    """Return {field: record id}: the survivor's value, or the first value that is not blank."""
    choices = {}
    for key in merge_fields(entity):
        source = next((r for r in records if not _blank(field_value(r, key))), records[0])
        choices[key] = source.pk
    return choices


def _locked(entity: Entity, actor: User, survivor_pk: int, duplicate_ids: list[int]):
    """Lock the records in id order (two merges of the same records wait, never deadlock),
    then check the actor may edit the survivor and delete the duplicates."""
    ids = [survivor_pk, *duplicate_ids]
    rows = entity.model._base_manager.select_for_update().filter(pk__in=ids).order_by("pk")
    found = {record.pk: record for record in rows}
    editable = entity.model.objects.visible_to(actor, Action.EDIT).filter(pk=survivor_pk)
    deletable = entity.model.objects.visible_to(actor, Action.DELETE).filter(pk__in=duplicate_ids)
    if len(found) != len(ids) or not editable.exists() or deletable.count() != len(duplicate_ids):
        raise OutOfScope
    return found[survivor_pk], {pk: found[pk] for pk in duplicate_ids}


@transaction.atomic
def records_merge(
    *,
    actor: User,
    entity: Entity,
    survivor: models.Model,
    duplicates: Iterable[models.Model],
    field_choices: dict[str, int] | None = None,
    expected_versions: dict[int, int] | None = None,
) -> MergeRecord:
    """Merge duplicates into the survivor in one transaction; return the merge's record.

    The actor needs edit on the survivor and delete on the duplicates. Each chosen field
    takes the value of the record named in `field_choices` (others keep the default
    choice); every related row moves to the survivor; the duplicates are deleted.
    """
    require(actor, entity.name, Action.EDIT)
    require(actor, entity.name, Action.DELETE)
    duplicate_ids = sorted({record.pk for record in duplicates} - {survivor.pk})
    if not duplicate_ids:
        raise MergeRefused(_("Choose at least one other record to merge."))
    kept, merged = _locked(entity, actor, survivor.pk, duplicate_ids)
    for pk, version in (expected_versions or {}).items():
        record = kept if pk == kept.pk else merged.get(pk)
        if record is not None and getattr(record, "version", version) != version:
            raise MergeRefused(STALE_MESSAGE, status=409)
    records = [kept, *[merged[pk] for pk in duplicate_ids]]
    choices = _choices(entity, records, field_choices or {})
    snapshots = {str(r.pk): {**audit.snapshot(r), "custom": r.custom or {}} for r in records}
    before = audit.snapshot(kept)
    owner_before = getattr(kept, "owner_id", None)
    _apply_choices(kept, {r.pk: r for r in records}, choices)
    if getattr(kept, "owner_id", None) != owner_before:
        require(actor, entity.name, Action.ASSIGN)
    steps = _merge_steps.get(entity.name, [])
    for before_step, _after_step in steps:
        if before_step:
            before_step(survivor=kept, duplicate_ids=duplicate_ids, actor=actor)
    moved = move_related(
        entity, kept, duplicate_ids, actor, {pk: str(merged[pk]) for pk in duplicate_ids}
    )
    for _before_step, after_step in steps:
        if after_step:
            after_step(survivor=kept, duplicate_ids=duplicate_ids, actor=actor)
    names = ", ".join(str(merged[pk]) for pk in duplicate_ids)
    engine.unindex_records(entity.name, duplicate_ids)
    search.unindex_records(entity.name, duplicate_ids)
    entity.model._base_manager.filter(pk__in=duplicate_ids).delete()
    kept.updated_by = actor
    if hasattr(kept, "version"):
        kept.version += 1
    kept.save()
    ensure_in_scope(actor, kept, Action.EDIT)
    record = MergeRecord.objects.create(
        entity=entity.name,
        survivor_id=kept.pk,
        survivor_repr=str(kept)[:200],
        duplicate_ids=duplicate_ids,
        actor=actor,
        snapshots=snapshots,
        field_choices=choices,
        moved=moved,
    )
    _written(actor, entity, kept, record, names, audit.diff(before, audit.snapshot(kept)))
    return record


def _written(actor, entity: Entity, kept, record: MergeRecord, names: str, changes) -> None:
    """Do what follows a merge: the survivor's history, its keys, the event on commit."""
    audit.record(
        actor=actor,
        entity=entity.name,
        instance=kept,
        action=AuditAction.MERGE,
        changes={"merged_from": [names, None], **changes},
        batch=f"merge:{record.pk}",
    )
    search.index_record(entity.name, kept)
    engine.index_record(entity.name, kept)
    events.emit(
        f"{entity.name}.merged",
        entity=entity.name,
        id=kept.pk,
        actor_id=actor.pk,
        merged_ids=record.duplicate_ids,
    )


def _choices(entity: Entity, records: list, requested: dict[str, int]) -> dict[str, int]:
    allowed = set(merge_fields(entity))
    ids = {record.pk for record in records}
    errors = [key for key, pk in requested.items() if key not in allowed or pk not in ids]
    if errors:
        raise MergeRefused(
            _("These fields cannot take a value from that record: %(fields)s")
            % {"fields": ", ".join(sorted(errors))}
        )
    return {**default_choices(entity, records), **requested}


def _apply_choices(survivor, by_id: dict[int, models.Model], choices: dict[str, int]) -> None:
    custom = dict(survivor.custom or {}) if hasattr(survivor, "custom") else None
    for key, pk in choices.items():
        value = field_value(by_id[pk], key)
        if key.startswith("custom."):
            if custom is None:
                continue
            if _blank(value):
                custom.pop(key[len("custom.") :], None)
            else:
                custom[key[len("custom.") :]] = value
        else:
            setattr(survivor, survivor._meta.get_field(key).attname, value)
    if custom is not None:
        survivor.custom = custom


def moved_labels(moved: dict[str, int]) -> list[tuple[str, int]]:
    """Return what a merge moved as (kind of record in the reader's language, count)."""
    from django.apps import apps

    rows = []
    for label, count in moved.items():
        try:
            name = str(apps.get_model(label)._meta.verbose_name_plural)
        except LookupError:  # an app removed since
            name = label
        rows.append((name, count))
    return rows


def move_related(
    entity: Entity, survivor, duplicate_ids: list[int], actor=None, names=None
) -> dict[str, int]:
    """Point every row that refers to a duplicate at the survivor; return counts by kind.

    Moved rows of registered entities get a change-history entry each ("customer: the
    duplicate → the survivor").
    """
    moved: dict[str, int] = {}
    names = names or {}
    for relation in entity.model._meta.related_objects:
        label = relation.related_model._meta.label_lower
        if relation.many_to_many:
            count = _move_many_to_many(relation, survivor, duplicate_ids)
        else:
            count = _move_foreign_keys(relation, survivor, duplicate_ids, actor, names)
        if count:
            moved[label] = moved.get(label, 0) + count
    for model_field in entity.model._meta.many_to_many:
        manager = getattr(survivor, model_field.name)
        through = model_field.remote_field.through
        source = model_field.m2m_field_name()
        target = model_field.m2m_reverse_field_name()
        targets = through.objects.filter(**{f"{source}__in": duplicate_ids}).values_list(
            f"{target}_id", flat=True
        )
        manager.add(*set(targets))
    moved.update(_move_references(entity, survivor, duplicate_ids))
    return moved


def _move_foreign_keys(relation, survivor, duplicate_ids: list[int], actor, names) -> int:
    model = relation.related_model
    name = relation.field.name
    rows = model._base_manager.filter(**{f"{name}__in": duplicate_ids})
    if relation.one_to_one and model._base_manager.filter(**{name: survivor.pk}).exists():
        return 0  # the survivor has its own; the duplicate's goes with it
    previous = dict(rows.values_list("pk", relation.field.attname))
    if not previous:
        return 0
    model._base_manager.filter(pk__in=list(previous)).update(**{name: survivor.pk})
    _after_move(model, name, previous, survivor, actor, names)
    return len(previous)


def _after_move(model, name: str, previous: dict, survivor, actor, names: dict) -> None:
    """Write the moved rows' history and refresh their duplicate keys, if they are records."""
    from guanxi.core import registry

    related_entity = registry.for_model(model)
    if related_entity is None:
        return
    entries = []
    rows = model._base_manager.filter(pk__in=list(previous))
    for instance in rows.iterator(chunk_size=500):
        if related_entity.duplicates is not None:
            engine.index_record(related_entity.name, instance)
        old = previous[instance.pk]
        entries.append(
            AuditEntry(
                entity=related_entity.name,
                object_id=instance.pk,
                object_repr=str(instance)[:200],
                action=AuditAction.UPDATE,
                actor=actor,
                changes={
                    name: [
                        {"id": old, "repr": names.get(old, "")},
                        {"id": survivor.pk, "repr": str(survivor)},
                    ]
                },
            )
        )
    AuditEntry.objects.bulk_create(entries, batch_size=1000)


def _move_many_to_many(relation, survivor, duplicate_ids: list[int]) -> int:
    model_field = relation.field
    through = model_field.remote_field.through
    owner_column = model_field.m2m_field_name()  # the model holding the field
    ours = model_field.m2m_reverse_field_name()  # this entity's side
    rows = through.objects.filter(**{f"{ours}__in": duplicate_ids})
    holders = set(rows.values_list(f"{owner_column}_id", flat=True))
    existing = set(
        through.objects.filter(**{ours: survivor.pk}).values_list(f"{owner_column}_id", flat=True)
    )
    count = rows.count()
    rows.filter(**{f"{owner_column}__in": existing}).delete()
    rows.exclude(**{f"{owner_column}__in": existing}).update(**{ours: survivor.pk})
    return count if holders else 0


def _move_references(entity: Entity, survivor, duplicate_ids: list[int]) -> dict[str, int]:
    moved = {}
    shares = _move_shares(entity, survivor, duplicate_ids)
    if shares:
        moved[Share._meta.label_lower] = shares
    history = AuditEntry.objects.filter(entity=entity.name, object_id__in=duplicate_ids)
    count = history.update(object_id=survivor.pk)
    if count:
        moved[AuditEntry._meta.label_lower] = count
    MergeRecord.objects.filter(entity=entity.name, survivor_id__in=duplicate_ids).update(
        survivor_id=survivor.pk
    )
    for model, entity_field, id_field in _record_references:
        rows = model._base_manager.filter(
            **{entity_field: entity.name, f"{id_field}__in": duplicate_ids}
        )
        count = rows.update(**{id_field: survivor.pk})
        if count:
            moved[model._meta.label_lower] = count
    return moved


def _move_shares(entity: Entity, survivor, duplicate_ids: list[int]) -> int:
    """Give the survivor the duplicates' shares; one share per user or team, the wider kept."""
    existing = {
        (share.user_id, share.team_id): share
        for share in Share.objects.filter(entity=entity.name, object_id=survivor.pk)
    }
    count = 0
    for share in Share.objects.filter(entity=entity.name, object_id__in=duplicate_ids):
        target = (share.user_id, share.team_id)
        count += 1
        if target in existing:
            kept = existing[target]
            if share.access == ShareAccess.EDIT and kept.access != ShareAccess.EDIT:
                kept.access = ShareAccess.EDIT
                kept.save(update_fields=["access"])
            share.delete()
        else:
            share.object_id = survivor.pk
            share.save(update_fields=["object_id"])
            existing[target] = share
    return count
