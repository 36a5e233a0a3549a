"""REST API of imports and exports (PLT-5).

`POST /imports` uploads a CSV or Excel file (multipart: `entity`, `file`) and answers with
the detected encoding, delimiter, columns and a proposed mapping. `PUT /imports/{id}/mapping`
sets the mapping and options, `GET /imports/{id}/preview` validates the first rows,
`POST /imports/{id}/start` runs it in the background, `GET /imports/{id}` reports its
progress and counts, `GET /imports/{id}/errors` downloads the error report and
`POST /imports/{id}/undo` undoes it. `GET /exports/{entity}` streams the records matching
the same filters as the entity's list, as CSV or Excel, within the caller's export scope.
"""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from guanxi.api.errors import ApiError
from guanxi.core import queries, registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.dataio import exports, mapping, runner, services, undo
from guanxi.dataio.models import ImportRun

imports_router = Router(tags=["Imports"])
exports_router = Router(tags=["Exports"])


class ImportColumn(Schema):
    index: int
    header: str
    target: str


class ImportProgress(Schema):
    done: int
    total: int
    percent: int


class ImportRowError(Schema):
    row: int
    message: str


class ImportOut(Schema):
    id: int
    entity: str
    status: str
    original_name: str
    file_format: str
    file_size: int
    encoding: str
    delimiter: str
    columns: list[ImportColumn]
    error_mode: str
    duplicate_action: str
    total_rows: int
    created: int
    updated: int
    skipped: int
    failed: int
    progress: ImportProgress
    message: str
    errors: list[ImportRowError]
    has_error_report: bool
    created_at: datetime
    finished_at: datetime | None
    undone_at: datetime | None


class ImportList(Schema):
    count: int
    items: list[ImportOut]


class ImportMappingIn(Schema):
    """Give `columns` (a target per column, "" to leave one out) or `mapping` by header."""

    columns: list[str] | None = None
    mapping: dict[str, str] | None = None
    error_mode: str = "skip_bad_rows"
    duplicate_action: str = "skip"


class ImportTarget(Schema):
    key: str
    label: str
    required: bool


class PreviewRow(Schema):
    row: int
    action: str
    cells: list[str]
    errors: dict[str, list[str]]
    note: str


def import_out(run: ImportRun) -> dict:
    job = run.job
    done, total = (job.done, job.total) if job else (0, run.total_rows)
    percent = job.percent if job else 0
    return {
        "id": run.pk,
        "entity": run.entity,
        "status": run.status,
        "original_name": run.original_name,
        "file_format": run.file_format,
        "file_size": run.file_size,
        "encoding": run.encoding,
        "delimiter": run.delimiter,
        "columns": [
            {
                "index": index,
                "header": header,
                "target": (run.mapping + [""] * len(run.header))[index],
            }
            for index, header in enumerate(run.header)
        ],
        "error_mode": run.error_mode,
        "duplicate_action": run.duplicate_action,
        "total_rows": run.total_rows,
        "created": run.created_count,
        "updated": run.updated_count,
        "skipped": run.skipped_count,
        "failed": run.failed_count,
        "progress": {"done": done, "total": total, "percent": percent},
        "message": run.message,
        "errors": run.errors,
        "has_error_report": run.has_error_report,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "undone_at": run.undone_at,
    }


def _problem(error: services.ImportProblem) -> ApiError:
    return ApiError(400, error.message, error.errors)


def _run(request, pk: int) -> ImportRun:
    run = services.imports_for(request.auth).filter(pk=pk).first()
    if run is None:
        raise ApiError(404, _("Not found."))
    return run


@imports_router.post("", response={201: ImportOut}, operation_id="imports_upload")
def upload(request, entity: Form[str], file: File[UploadedFile]):
    """Upload a CSV or Excel file to import into an entity (e.g. `account`)."""
    try:
        run = services.import_upload(actor=request.auth, entity_name=entity, upload=file)
    except services.ImportProblem as error:
        raise _problem(error) from None
    return Status(201, import_out(run))


@imports_router.get("", response=ImportList, operation_id="imports_list")
def list_imports(request, entity: str = "", limit: int = 50, offset: int = 0):
    runs = services.imports_for(request.auth)
    if entity:
        runs = runs.filter(entity=entity)
    limit, offset = max(1, min(limit, 200)), max(0, offset)
    return {"count": runs.count(), "items": [import_out(r) for r in runs[offset : offset + limit]]}


@imports_router.get("/fields/{entity}", response=list[ImportTarget], operation_id="imports_fields")
def fields(request, entity: str):
    """List the fields a column can be mapped to (custom fields as `custom.<key>`)."""
    try:
        found = services.entity_for_import(request.auth, entity)
    except services.ImportProblem as error:
        raise ApiError(404, error.message) from None
    return [
        {"key": t.key, "label": t.label, "required": t.required} for t in mapping.targets(found)
    ]


@imports_router.get("/{int:pk}", response=ImportOut, operation_id="imports_get")
def get_import(request, pk: int):
    """Return an import with its progress and counts."""
    return import_out(_run(request, pk))


@imports_router.put("/{int:pk}/mapping", response=ImportOut, operation_id="imports_mapping")
def set_mapping(request, pk: int, payload: ImportMappingIn):
    """Map columns to fields and choose what to do with wrong rows and duplicates."""
    run = _run(request, pk)
    columns = payload.columns
    if columns is None:
        by_header = payload.mapping or {}
        columns = [by_header.get(header, "") for header in run.header]
    try:
        run = services.import_configure(
            actor=request.auth,
            run=run,
            columns=columns,
            error_mode=payload.error_mode,
            duplicate_action=payload.duplicate_action,
        )
    except services.ImportProblem as error:
        raise _problem(error) from None
    return import_out(run)


@imports_router.get("/{int:pk}/preview", response=list[PreviewRow], operation_id="imports_preview")
def preview(request, pk: int, limit: int = 20):
    """Validate the first rows as the import would, writing nothing."""
    run = _run(request, pk)
    services.entity_for_import(request.auth, run.entity)
    outcomes = runner.import_preview(run, limit=max(1, min(limit, 100)))
    return [
        {"row": o.number, "action": o.action, "cells": o.cells, "errors": o.errors, "note": o.note}
        for o in outcomes
    ]


@imports_router.post("/{int:pk}/start", response={202: ImportOut}, operation_id="imports_start")
def start(request, pk: int):
    """Start the import as a background job; poll `GET /imports/{id}` for progress."""
    try:
        run = services.import_start(actor=request.auth, run=_run(request, pk))
    except services.ImportProblem as error:
        raise _problem(error) from None
    return Status(202, import_out(run))


@imports_router.get("/{int:pk}/errors", operation_id="imports_errors")
def error_report(request, pk: int):
    """Download the wrong and skipped rows as CSV: row number, original cells, errors."""
    run = _run(request, pk)
    if not run.has_error_report or not run.error_report_path.exists():
        raise ApiError(404, _("This import has no error report."))
    return FileResponse(
        run.error_report_path.open("rb"),
        as_attachment=True,
        filename=f"{run.original_name.rsplit('.', 1)[0]}-errors.csv",
        content_type="text/csv; charset=utf-8",
    )


@imports_router.post(
    "/{int:pk}/undo", response={200: ImportOut, 202: ImportOut}, operation_id="imports_undo"
)
def undo_import(request, pk: int):
    """Undo the whole import: delete what it created and restore what it changed."""
    try:
        run, job = undo.import_undo_start(actor=request.auth, run=_run(request, pk))
    except services.ImportProblem as error:
        raise ApiError(409, error.message, error.errors) from None
    return Status(202 if job else 200, import_out(run))


@exports_router.get("/{entity}", operation_id="exports_download")
def export(request, entity: str, format: str = "csv"):
    """Stream the records of an entity as `csv` or `xlsx`; takes the list's filters and `q`."""
    found = registry.find(entity) or registry.by_plural(entity)
    if found is None:
        raise ApiError(404, _("Not found."))
    require(request.auth, found.name, Action.EXPORT)
    if format not in ("csv", "xlsx"):
        raise ApiError(400, _("The data is not valid."), {"format": [_("Choose csv or xlsx.")]})
    queryset = queries.record_list(found, request.auth, request.GET, action=Action.EXPORT)
    return exports.export_response(found, queryset, format, user=request.auth)
