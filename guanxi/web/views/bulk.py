"""Bulk edit, bulk delete and export of a selection of records."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.core import queries, services
from guanxi.core.choices import Action
from guanxi.core.jobs import job_handler, job_start
from guanxi.core.permissions import require
from guanxi.core.registry import Entity
from guanxi.dataio import exports
from guanxi.web.forms import BulkEditForm
from guanxi.web.views.records import entity_or_404, protected_message

# Selections up to this size are changed while the user waits; larger ones go to a job.
INLINE_LIMIT = 500


def selection(entity: Entity, user, data, action: str):
    """Return the selected records: the ticked ids, or every record matching the list query."""
    params = QueryDict(data.get("querystring", ""))
    queryset = queries.record_list(entity, user, params, action=action)
    if data.get("all_matching") != "1":
        ids = [int(value) for value in data.getlist("ids") if str(value).isdigit()]
        queryset = queryset.filter(pk__in=ids)
    return queryset


def _selection_params(request) -> dict:
    return {
        "querystring": request.POST.get("querystring", ""),
        "all_matching": request.POST.get("all_matching", ""),
        "ids": request.POST.getlist("ids"),
    }


def _as_querydict(params: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    data["querystring"] = params.get("querystring", "")
    data["all_matching"] = params.get("all_matching", "")
    data.setlist("ids", params.get("ids", []))
    return data


@login_required
def bulk_edit(request, entity_name: str):
    """Change the same fields on every selected record, recorded in each one's history."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.EDIT)
    queryset = selection(entity, request.user, request.POST, Action.EDIT)
    count, more = queries.capped_count(queryset)
    form = BulkEditForm(
        request.POST if "apply" in request.POST else None, entity=entity, user=request.user
    )
    if "apply" in request.POST and form.is_valid():
        values, custom = form.changes()
        if "owner" in values:
            require(request.user, entity.name, Action.ASSIGN)
        if more or count > INLINE_LIMIT:
            job = job_start(
                user=request.user,
                kind="bulk_update",
                title=_("Bulk edit of %(entity)s") % {"entity": entity.verbose_name_plural},
                params={
                    "entity": entity.name,
                    "selection": _selection_params(request),
                    "data": _form_data(request, form),
                },
            )
            return redirect("web:job_detail", pk=job.pk)
        try:
            changed = services.records_bulk_update(
                actor=request.user,
                entity=entity,
                queryset=queryset,
                values=values,
                custom_values=custom,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(count)s records were changed.") % {"count": changed})
            return redirect(
                reverse(entity.url_name("list")) + "?" + request.POST.get("querystring", "")
            )
    context = {
        "entity": entity,
        "current_entity": entity,
        "form": form,
        "count": count,
        "count_more": more,
        "selection": _selection_params(request),
    }
    return render(request, "web/bulk_edit.html", context, status=400 if form.errors else 200)


def _form_data(request, form: BulkEditForm) -> dict:
    data = {}
    for name in form.field_names:
        if request.POST.get("apply_" + name):
            data["apply_" + name] = "on"
            data[name] = request.POST.getlist(name)
    return data


@job_handler("bulk_update")
def run_bulk_update(job, progress) -> dict:
    from guanxi.core import registry

    entity = registry.get(job.params["entity"])
    selected = selection(entity, job.user, _as_querydict(job.params["selection"]), Action.EDIT)
    data = QueryDict(mutable=True)
    for key, value in job.params["data"].items():
        data.setlist(key, value if isinstance(value, list) else [value])
    form = BulkEditForm(data, entity=entity, user=job.user)
    if not form.is_valid():
        raise ValueError(form.errors.as_text())
    values, custom = form.changes()
    progress.set_total(selected.count())
    changed = services.records_bulk_update(
        actor=job.user,
        entity=entity,
        queryset=selected,
        values=values,
        custom_values=custom,
        progress=progress,
    )
    return {"count": changed, "message": _("%(count)s records were changed.") % {"count": changed}}


@login_required
def bulk_delete(request, entity_name: str):
    """Confirm, then delete every selected record the user may delete."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.DELETE)
    queryset = selection(entity, request.user, request.POST, Action.DELETE)
    count, more = queries.capped_count(queryset)
    if "confirm" in request.POST:
        if more or count > INLINE_LIMIT:
            job = job_start(
                user=request.user,
                kind="bulk_delete",
                title=_("Bulk delete of %(entity)s") % {"entity": entity.verbose_name_plural},
                params={"entity": entity.name, "selection": _selection_params(request)},
            )
            return redirect("web:job_detail", pk=job.pk)
        try:
            deleted = services.records_bulk_delete(
                actor=request.user, entity=entity, queryset=queryset
            )
        except ProtectedError as error:
            messages.error(request, protected_message(error))
        else:
            messages.success(request, _("%(count)s records were deleted.") % {"count": deleted})
        return redirect(
            reverse(entity.url_name("list")) + "?" + request.POST.get("querystring", "")
        )
    examples = list(queryset[:10])
    context = {
        "entity": entity,
        "current_entity": entity,
        "count": count,
        "count_more": more,
        "examples": examples,
        "selection": _selection_params(request),
    }
    return render(request, "web/bulk_delete.html", context)


@job_handler("bulk_delete")
def run_bulk_delete(job, progress) -> dict:
    from guanxi.core import registry

    entity = registry.get(job.params["entity"])
    selected = selection(entity, job.user, _as_querydict(job.params["selection"]), Action.DELETE)
    progress.set_total(selected.count())
    deleted = services.records_bulk_delete(
        actor=job.user, entity=entity, queryset=selected, progress=progress
    )
    return {"count": deleted, "message": _("%(count)s records were deleted.") % {"count": deleted}}


@login_required
def export(request, entity_name: str):
    """Export the records matching the list's filters as CSV (streamed) or Excel."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.EXPORT)
    if request.method == "POST":
        # Export of the rows ticked in the list (or all matching, as the list says).
        queryset = selection(entity, request.user, request.POST, Action.EXPORT)
        file_format = request.POST.get("format", "csv")
    else:
        queryset = queries.record_list(entity, request.user, request.GET, action=Action.EXPORT)
        file_format = request.GET.get("format", "csv")
    return exports.export_response(entity, queryset, file_format, user=request.user)
