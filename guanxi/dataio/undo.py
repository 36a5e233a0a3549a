"""Undo a whole import: delete what it created, restore what it overwrote, in one transaction.

Undo is refused, with nothing changed, when it cannot be done safely: a record the import
created or changed has been edited since (its version moved on), or a created record now
has records that depend on it (e.g. contacts of an imported customer).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit, dedupe, events, registry, search
from guanxi.core.choices import Action, AuditAction
from guanxi.core.jobs import job_start
from guanxi.core.models import AuditEntry, Share, User
from guanxi.core.permissions import require
from guanxi.dataio.choices import ImportStatus, RowAction
from guanxi.dataio.models import ImportRow, ImportRun
from guanxi.dataio.services import ImportProblem

CHUNK = 1000
# Undos of up to this many records run while the user waits; larger ones run as a job.
INLINE_LIMIT = 5000


def _check(actor: User, run: ImportRun) -> None:
    if run.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied
    if run.undone_at is not None:
        raise ImportProblem(_("This import has already been undone."))
    if run.status not in (ImportStatus.DONE, ImportStatus.FAILED):
        raise ImportProblem(_("Only a finished import can be undone."))
    if not run.rows.exists():
        raise ImportProblem(_("This import wrote nothing, so there is nothing to undo."))


def import_undo_start(*, actor: User, run: ImportRun):
    """Undo an import now, or as a background job when it wrote many records."""
    _check(actor, run)
    if run.rows.count() <= INLINE_LIMIT:
        return import_undo(actor=actor, run=run), None
    job = job_start(
        user=actor,
        kind="import_undo",
        title=_("Undo of the import %(file)s") % {"file": run.original_name},
        params={"import": run.pk},
    )
    return run, job


def _id_chunks(rows) -> list[list[int]]:
    ids = list(rows.order_by("-id").values_list("object_id", flat=True))
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


def import_undo(*, actor: User, run: ImportRun, progress=None) -> ImportRun:
    """Undo every write of an import, or refuse with a clear message and change nothing."""
    _check(actor, run)
    entity = registry.get(run.entity)
    created = run.rows.filter(action=RowAction.CREATED)
    updated = run.rows.filter(action=RowAction.UPDATED)
    if created.exists():
        require(actor, entity.name, Action.DELETE)
    if updated.exists():
        require(actor, entity.name, Action.EDIT)
    if progress:
        progress.set_total(run.rows.count())
    with transaction.atomic():
        _restore_updated(actor, entity, updated.order_by("-id"), run, progress)
        for ids in _id_chunks(created):
            _delete_created(actor, entity, ids, run)
            if progress:
                progress(len(ids))
        run.status = ImportStatus.UNDONE
        run.undone_at = timezone.now()
        run.undone_by = actor
        run.message = _(
            "The import was undone: %(deleted)s records deleted, %(restored)s restored."
        ) % {
            "deleted": run.created_count,
            "restored": run.updated_count,
        }
        run.save(update_fields=["status", "undone_at", "undone_by", "message"])
    return run


def _changed_since(record, row: ImportRow) -> bool:
    return row.version is not None and getattr(record, "version", row.version) != row.version


def _restore_updated(actor, entity, rows, run: ImportRun, progress) -> None:
    model = entity.model
    batch = f"undo{run.pk}"
    for row in rows.iterator(chunk_size=CHUNK):
        record = (
            model.objects.select_for_update(of=("self",))
            .select_related(*entity.select_related)
            .filter(pk=row.object_id)
            .first()
        )
        if record is None:
            continue
        if _changed_since(record, row):
            raise ImportProblem(
                _("%(record)s was changed after the import, so the import cannot be undone.")
                % {"record": record}
            )
        before_values = audit.snapshot(record)
        for name, value in (row.before or {}).items():
            if name == "custom":
                record.custom = value or {}
                continue
            model_field = model._meta.get_field(name)
            if isinstance(model_field, models.ForeignKey):
                setattr(record, model_field.attname, value)
            else:
                setattr(record, name, model_field.to_python(value))
        record.updated_by = actor
        if hasattr(record, "version"):
            record.version += 1
        record.save()
        record = model.objects.select_related(*entity.select_related).get(pk=record.pk)
        changes = audit.diff(before_values, audit.snapshot(record))
        audit.record(
            actor=actor,
            entity=entity.name,
            instance=record,
            action=AuditAction.UPDATE,
            changes=changes,
            batch=batch,
        )
        search.index_record(entity.name, record)
        dedupe.index_record(entity.name, record)
        events.emit(
            f"{entity.name}.updated",
            entity=entity.name,
            id=record.pk,
            actor_id=actor.pk,
            changes=changes,
        )
        if progress:
            progress(1)


def _delete_created(actor, entity, ids: list[int], run: ImportRun) -> None:
    model = entity.model
    records = list(
        model.objects.select_for_update(of=("self",))
        .select_related(*entity.select_related)
        .filter(pk__in=ids)
    )
    if hasattr(model, "version"):
        edited = next((record for record in records if record.version != 1), None)
        if edited is not None:
            raise ImportProblem(
                _("%(record)s was changed after the import, so the import cannot be undone.")
                % {"record": edited}
            )
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                entity=entity.name,
                object_id=record.pk,
                object_repr=str(record)[:200],
                action=AuditAction.DELETE,
                actor=actor,
                changes={k: [v, None] for k, v in audit.snapshot(record).items() if v},
                batch=f"undo{run.pk}",
            )
            for record in records
        ]
    )
    search.unindex_records(entity.name, ids)
    dedupe.unindex_records(entity.name, ids)
    Share.objects.filter(entity=entity.name, object_id__in=ids).delete()
    try:
        model.objects.filter(pk__in=ids).delete()
    except ProtectedError as error:
        from guanxi.web.views.records import protected_message

        raise ImportProblem(
            _("Records created by this import are now in use, so it cannot be undone. %(why)s")
            % {"why": protected_message(error)}
        ) from None
    # One event per chunk, like the import's own; the import's rows name the records.
    events.emit(
        f"{entity.name}.import_undone",
        entity=entity.name,
        count=len(ids),
        actor_id=actor.pk,
        import_id=run.pk,
    )
