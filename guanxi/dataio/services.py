"""Imports: upload, mapping, preview, start and undo (PLT-5). The run itself is in runner.py."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.jobs import job_start
from guanxi.core.models import User
from guanxi.core.permissions import can, require
from guanxi.dataio import files, mapping
from guanxi.dataio.choices import DuplicateAction, ErrorMode, ImportStatus
from guanxi.dataio.models import ImportMapping, ImportRun, import_dir


class ImportProblem(Exception):
    """Raised when an import cannot go on; the message is shown to the user as it is."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def max_upload_bytes() -> int:
    return int(getattr(settings, "GUANXI_IMPORT_MAX_UPLOAD_MB", 40)) * 1024 * 1024


def entity_for_import(user: User, entity_name: str, action: str = Action.CREATE):
    """Return the entity a user may import into, or raise PermissionDenied."""
    entity = registry.find(entity_name)
    if entity is None:
        raise ImportProblem(_("There is no such kind of record."))
    require(user, entity.name, action)
    return entity


def _save_upload(source, target: Path, limit: int | None) -> int:
    size = 0
    with target.open("wb") as handle:
        for chunk in (
            source.chunks()
            if hasattr(source, "chunks")
            else iter(lambda: source.read(1024 * 1024), b"")
        ):
            size += len(chunk)
            if limit is not None and size > limit:
                break
            handle.write(chunk)
    return size


def import_upload(*, actor: User, entity_name: str, upload, limit: int | None = -1) -> ImportRun:
    """Keep an uploaded file, read its header and propose a mapping.

    `limit` is the largest accepted size in bytes: -1 for the setting, None for no limit
    (the command line's initial loads of historical data).
    """
    entity = entity_for_import(actor, entity_name)
    limit = max_upload_bytes() if limit == -1 else limit
    name = Path(getattr(upload, "name", "") or "import.csv").name[:255]
    declared = getattr(upload, "size", None)
    too_big = _("The file is larger than %(size)s MB. Split it into smaller files.") % {
        "size": (limit or 0) // (1024 * 1024)
    }
    if limit is not None and declared is not None and declared > limit:
        raise ImportProblem(too_big)
    stored = uuid.uuid4().hex
    path = import_dir() / stored
    size = _save_upload(upload, path, limit)
    if limit is not None and size > limit:
        path.unlink(missing_ok=True)
        raise ImportProblem(too_big)
    try:
        found = files.inspect(path, name)
    except files.FileError as error:
        path.unlink(missing_ok=True)
        raise ImportProblem(str(error)) from None
    remembered = ImportMapping.objects.filter(user=actor, entity=entity.name).first()
    proposal = mapping.propose(entity, found["header"], remembered.columns if remembered else {})
    return ImportRun.objects.create(
        entity=entity.name,
        user=actor,
        original_name=name,
        stored_name=stored,
        file_size=size,
        mapping=proposal,
        **found,
    )


def import_from_path(*, actor: User, entity_name: str, path: Path) -> ImportRun:
    """Start an import of a file on the server's disk, with no size limit."""
    with path.open("rb") as handle:
        upload = _NamedFile(handle, path.name)
        return import_upload(actor=actor, entity_name=entity_name, upload=upload, limit=None)


class _NamedFile:
    def __init__(self, handle, name: str):
        self.handle = handle
        self.name = name

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size)


def _ensure_owner(actor: User, run: ImportRun) -> None:
    if run.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied


def imports_for(user: User):
    """Return the imports a user may see: their own (every import for superusers)."""
    runs = ImportRun.objects.select_related("user", "job")
    return runs if user.is_superuser else runs.filter(user=user)


def import_configure(
    *,
    actor: User,
    run: ImportRun,
    columns: list[str],
    error_mode: str,
    duplicate_action: str,
) -> ImportRun:
    """Set the mapping and options of an import not yet started; remember the mapping."""
    _ensure_owner(actor, run)
    if run.status != ImportStatus.UPLOADED:
        raise ImportProblem(_("This import has already been started."))
    entity = entity_for_import(actor, run.entity)
    columns = [(column or "").strip() for column in columns][: len(run.header)]
    columns += [""] * (len(run.header) - len(columns))
    errors = mapping.validate_mapping(entity, columns)
    if error_mode not in ErrorMode.values:
        errors["error_mode"] = [_("Choose what to do with wrong rows.")]
    if duplicate_action not in DuplicateAction.values:
        errors["duplicate_action"] = [_("Choose what to do with duplicates.")]
    if duplicate_action == DuplicateAction.UPDATE and not can(actor, entity.name, Action.EDIT):
        errors["duplicate_action"] = [
            _("You are not allowed to change existing records, so duplicates cannot be updated.")
        ]
    if errors:
        raise ImportProblem(_("The mapping is not complete."), errors)
    run.mapping = columns
    run.error_mode = error_mode
    run.duplicate_action = duplicate_action
    run.save(update_fields=["mapping", "error_mode", "duplicate_action"])
    remembered = {
        mapping.header_key(header): target
        for header, target in zip(run.header, columns, strict=False)
        if mapping.header_key(header)
    }
    ImportMapping.objects.update_or_create(
        user=actor, entity=entity.name, defaults={"columns": remembered}
    )
    return run


def import_start(*, actor: User, run: ImportRun) -> ImportRun:
    """Queue an import whose mapping is set; it runs as a background job with progress."""
    _ensure_owner(actor, run)
    entity = entity_for_import(actor, run.entity)
    if run.status != ImportStatus.UPLOADED:
        raise ImportProblem(_("This import has already been started."))
    errors = mapping.validate_mapping(entity, run.mapping)
    if errors:
        raise ImportProblem(_("The mapping is not complete."), errors)
    if run.duplicate_action == DuplicateAction.UPDATE:
        require(actor, entity.name, Action.EDIT)
    with transaction.atomic():
        job = job_start(
            user=actor,
            kind="import",
            title=_("Import of %(entity)s from %(file)s")
            % {"entity": entity.verbose_name_plural, "file": run.original_name},
            params={"import": run.pk},
        )
        run.job = job
        run.status = ImportStatus.QUEUED
        run.save(update_fields=["job", "status"])
    return run


def import_delete_file(run: ImportRun) -> None:
    """Remove the uploaded file and the error report of an import from the disk."""
    run.path.unlink(missing_ok=True)
    run.error_report_path.unlink(missing_ok=True)


def copy_error_report(run: ImportRun, target) -> None:
    with run.error_report_path.open("rb") as handle:
        shutil.copyfileobj(handle, target)
