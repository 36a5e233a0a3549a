"""Import screens: upload → mapping → preview → run with progress → result, error report, undo."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import can
from guanxi.dataio import mapping, runner, services, undo
from guanxi.dataio.choices import DuplicateAction, ErrorMode, ImportStatus
from guanxi.dataio.models import ImportRun


def _entity(entity_name: str):
    entity = registry.find(entity_name)
    if entity is None:
        raise Http404
    return entity


def _run_or_404(request, pk: int) -> ImportRun:
    run = services.imports_for(request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


@login_required
def import_upload(request, entity_name: str):
    """Ask for the file to import into an entity; keep it and go on to the mapping."""
    entity = _entity(entity_name)
    services.entity_for_import(request.user, entity.name)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV or Excel file.")
        else:
            try:
                run = services.import_upload(
                    actor=request.user, entity_name=entity.name, upload=upload
                )
            except services.ImportProblem as problem:
                error = problem.message
            else:
                return redirect("dataio:import_detail", pk=run.pk)
    context = {
        "entity": entity,
        "current_entity": entity,
        "error": error,
        "max_mb": services.max_upload_bytes() // (1024 * 1024),
        "targets": mapping.targets(entity),
    }
    return render(request, "dataio/import_upload.html", context, status=400 if error else 200)


@login_required
def import_template(request, entity_name: str):
    """Download an empty CSV whose header names every importable field."""
    entity = _entity(entity_name)
    services.entity_for_import(request.user, entity.name)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{entity.plural}-template.csv"'
    response.write("\ufeff")
    csv.writer(response).writerow([target.label for target in mapping.targets(entity)])
    return response


def _mapping_rows(run: ImportRun, targets, columns: list[str]) -> list[dict]:
    samples: list[list[str]] = []
    for _number, cells in runner.files.data_rows(
        run.path, run.file_format, run.encoding, run.delimiter
    ):
        samples.append(cells)
        if len(samples) >= 3:
            break
    return [
        {
            "index": index,
            "header": header,
            "target": columns[index] if index < len(columns) else "",
            "samples": [row[index] for row in samples if index < len(row) and row[index]],
        }
        for index, header in enumerate(run.header)
    ]


@login_required
def import_detail(request, pk: int):
    """Show an import at its step: mapping, preview, progress or result."""
    run = _run_or_404(request, pk)
    entity = _entity(run.entity)
    if request.htmx and request.GET.get("partial") == "status":
        return render(request, "dataio/partials/import_status.html", {"run": run})
    context = {"run": run, "entity": entity, "current_entity": entity, "errors": {}}
    status = 200
    if run.status == ImportStatus.UPLOADED:
        columns = run.mapping
        if request.method == "POST":
            columns = [request.POST.get(f"column_{i}", "") for i in range(len(run.header))]
            try:
                services.import_configure(
                    actor=request.user,
                    run=run,
                    columns=columns,
                    error_mode=request.POST.get("error_mode", ""),
                    duplicate_action=request.POST.get("duplicate_action", ""),
                )
            except services.ImportProblem as problem:
                context["errors"] = problem.errors
                status = 400
            else:
                return redirect(reverse("dataio:import_detail", args=[run.pk]) + "?step=preview")
        targets = mapping.targets(entity)
        context.update(
            targets=targets,
            columns=_mapping_rows(run, targets, columns),
            error_modes=ErrorMode.choices,
            duplicate_actions=DuplicateAction.choices,
            may_update=can(request.user, entity.name, Action.EDIT),
        )
        if request.GET.get("step") == "preview" and run.mapped and status == 200:
            context["preview"] = _preview(run)
    return render(request, "dataio/import_detail.html", context, status=status)


def _preview(run: ImportRun) -> list[dict]:
    indexes = {target: index for index, target in enumerate(run.mapping) if target}
    labels = {target.key: target.label for target in mapping.targets(registry.get(run.entity))}
    rows = []
    for outcome in runner.import_preview(run):
        bad_cells = {indexes[key] for key in outcome.errors if key in indexes}
        rows.append(
            {
                "outcome": outcome,
                "cells": [
                    (cell, index in bad_cells)
                    for index, cell in enumerate(
                        (outcome.cells + [""] * len(run.header))[: len(run.header)]
                    )
                ],
                "message": outcome.note or mapping.error_text(outcome.errors, labels),
            }
        )
    return rows


@login_required
@require_POST
def import_start(request, pk: int):
    run = _run_or_404(request, pk)
    try:
        services.import_start(actor=request.user, run=run)
    except services.ImportProblem as problem:
        messages.error(request, problem.message)
    return redirect("dataio:import_detail", pk=run.pk)


@login_required
def import_errors(request, pk: int):
    """Download the error report: the wrong and skipped rows with their messages."""
    run = _run_or_404(request, pk)
    if not run.has_error_report or not run.error_report_path.exists():
        raise Http404
    return FileResponse(
        run.error_report_path.open("rb"),
        as_attachment=True,
        filename=f"{run.original_name.rsplit('.', 1)[0]}-errors.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
@require_POST
def import_undo(request, pk: int):
    """Undo a whole import, or explain why it cannot be undone."""
    run = _run_or_404(request, pk)
    try:
        run, job = undo.import_undo_start(actor=request.user, run=run)
    except services.ImportProblem as problem:
        messages.error(request, problem.message)
        return redirect("dataio:import_detail", pk=run.pk)
    if job is not None:
        return redirect("web:job_detail", pk=job.pk)
    messages.success(request, run.message)
    return redirect("dataio:import_detail", pk=run.pk)


@login_required
def import_list(request):
    """List the user's imports, newest first, optionally of one entity."""
    runs = services.imports_for(request.user)
    entity = registry.find(request.GET.get("entity", ""))
    if entity is not None:
        runs = runs.filter(entity=entity.name)
    runs = list(runs[:100])
    names = {e.name: e for e in registry.entities()}
    for run in runs:
        run.entity_info = names.get(run.entity)
    return render(
        request,
        "dataio/imports.html",
        {"runs": runs, "entity": entity, "current_entity": entity},
    )
