"""Generic screens of every registered entity: list, detail, create, edit, delete, share."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import (
    audit,
    customfields,
    dedupe,
    display,
    grouping,
    privacy,
    queries,
    registry,
    search,
    services,
    timeline,
)
from guanxi.core.choices import Action, ShareAccess
from guanxi.core.locks import RecordLocked
from guanxi.core.models import Share, Team, User
from guanxi.core.permissions import OutOfScope, can, require
from guanxi.core.registry import Entity
from guanxi.web.forms import ShareForm
from guanxi.web.views import bulk_actions

PAGE_SIZES = (25, 50, 100)


# Labels of history keys that are not fields, read in the request's language.
def entity_or_404(entity_name: str) -> Entity:
    entity = registry.find(entity_name)
    if entity is None:
        raise Http404
    return entity


def record_or_404(entity: Entity, user, pk: int, action: str = Action.VIEW):
    """Return a record the user may take the action on; any other record is "not found"."""
    queryset = entity.model.objects.visible_to(user, action).select_related(*entity.select_related)
    record = queryset.filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


def definitions_by_key(entity: Entity) -> dict:
    return {definition.key: definition for definition in customfields.definitions(entity.name)}


def _page_params(request) -> tuple[int, int]:
    try:
        per_page = int(request.GET.get("per_page", 50))
    except ValueError:
        per_page = 50
    per_page = per_page if per_page in PAGE_SIZES else 50
    try:
        page = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page = 1
    return page, per_page


@login_required
def record_list(request, entity_name: str):
    """Show a filtered, sorted, paginated list with column choice, selection and bulk actions."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.VIEW)
    queryset = queries.record_list(entity, request.user, request.GET)
    page, per_page = _page_params(request)
    count, more = queries.capped_count(queryset)
    last_page = max((count + per_page - 1) // per_page, 1)
    page = min(page, last_page)
    offset = (page - 1) * per_page
    records = grouping.attach(entity, list(queryset[offset : offset + per_page]), request.user)
    definitions = definitions_by_key(entity)
    columns = queries.chosen_columns(entity, request.user)
    ordering = request.GET.get("ordering", "")
    context = {
        "entity": entity,
        "current_entity": entity,
        "records": records,
        "rows": _rows(
            entity, records, columns, definitions, privacy.masks_personal_data(request.user)
        ),
        "columns": columns,
        "column_labels": {
            c.key: queries.column_label(entity, c) for c in queries.all_columns(entity)
        },
        "all_columns": queries.all_columns(entity),
        "sortable": queries.sortable_keys(entity),
        "ordering": ordering,
        "count": count,
        "count_more": more,
        "page": page,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "has_previous": page > 1,
        "has_next": page < last_page,
        "last_page": last_page,
        "first_index": offset + 1 if records else 0,
        "last_index": offset + len(records),
        "definitions": definitions,
        "filters": _filter_widgets(entity, request),
        "custom_filters": [
            {"definition": d, "value": request.GET.get(f"custom.{d.key}", "")}
            for d in definitions.values()
        ],
        "query": request.GET.get("q", ""),
        "can_create": can(request.user, entity.name, Action.CREATE),
        "can_edit": can(request.user, entity.name, Action.EDIT),
        "can_delete": can(request.user, entity.name, Action.DELETE),
        "can_export": can(request.user, entity.name, Action.EXPORT),
        "can_assign": can(request.user, entity.name, Action.ASSIGN),
        "bulk_actions": bulk_actions.menu_for(entity, request.user),
        "querystring": request.GET.urlencode(),
    }
    template = (
        "web/partials/list_results.html"
        if request.htmx_target == "list-results"
        else "web/list.html"
    )
    return render(request, template, context)


def _rows(entity: Entity, records, columns, definitions, mask: bool = False) -> list[dict]:
    """Return each row's cell texts and detail link, computed here rather than per template tag.

    A 50-row page has hundreds of cells; resolving each through template tags cost more
    than all the page's SQL.
    """
    list_url = reverse(entity.url_name("list"))
    rows = []
    for record in records:
        cells = []
        for column in columns:
            if mask and column.key in entity.personal_fields:
                text = display.record_value(entity, record, column.key, definitions, mask=True)
            elif column.render is not None:
                text = column.render(record)
            else:
                text = display.record_value(entity, record, column.key, definitions)
            cells.append((text, column.link))
        rows.append({"pk": record.pk, "url": f"{list_url}{record.pk}/", "cells": cells})
    return rows


def _filter_widgets(entity: Entity, request) -> list[dict]:
    widgets = []
    users = None
    for spec in entity.filters:
        widget = {"spec": spec, "value": request.GET.get(spec.key, "")}
        if spec.user_choices:
            widget["choices"] = list(spec.user_choices(request.user))
        elif spec.kind in ("choice", "related") and spec.choices:
            widget["choices"] = list(spec.choices())
        elif spec.kind == "user":
            if users is None:
                users = list(User.objects.filter(is_active=True).order_by("username"))
            widget["choices"] = [("me", _("Me")), *[(str(u.pk), str(u)) for u in users]]
        elif spec.kind == "date_range":
            widget["value_from"] = request.GET.get(f"{spec.key}_from", "")
            widget["value_to"] = request.GET.get(f"{spec.key}_to", "")
        widgets.append(widget)
    return widgets


@login_required
@require_POST
def choose_columns(request, entity_name: str):
    """Remember which list columns the user wants to see."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.VIEW)
    valid = {column.key for column in queries.all_columns(entity)}
    chosen = [key for key in request.POST.getlist("columns") if key in valid]
    preferences = dict(request.user.preferences or {})
    columns = dict(preferences.get("columns", {}))
    if chosen:
        columns[entity.name] = chosen
    else:
        columns.pop(entity.name, None)
    preferences["columns"] = columns
    request.user.preferences = preferences
    request.user.save(update_fields=["preferences"])
    return redirect(reverse(entity.url_name("list")) + "?" + request.POST.get("querystring", ""))


@login_required
def record_detail(request, entity_name: str, pk: int):
    """Show one record with its tabs: overview, entity tabs, change history."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.VIEW)
    record = record_or_404(entity, request.user, pk)
    grouping.attach(entity, [record], request.user)
    tab_key = request.GET.get("tab", "overview")
    definitions = definitions_by_key(entity)
    mask = privacy.masks_personal_data(request.user)
    context = {
        "entity": entity,
        "current_entity": entity,
        "record": record,
        "mask": mask,
        "definitions": definitions,
        "detail_fields": [*entity.detail_fields, *[f"custom.{key}" for key in definitions]],
        "tab": tab_key,
        "tabs": [t for t in entity.tabs if t.visible is None or t.visible(record, request.user)],
        "has_timeline": timeline.has_sources(entity.name),
        "can_edit": record_allows(entity, request.user, record, Action.EDIT),
        "can_delete": record_allows(entity, request.user, record, Action.DELETE),
        "can_assign": can(request.user, entity.name, Action.ASSIGN),
        "can_add_to_group": entity.has_groups and can(request.user, "group", Action.EDIT),
    }
    if entity.has_tags and context["can_edit"]:
        chosen = [tag.name for tag in record.tag_list]
        names = {name for name, _label in grouping.tag_choices()}
        context["tag_editor"] = {"chosen": chosen, "options": sorted(names | set(chosen))}
    tab = next((t for t in context["tabs"] if t.key == tab_key), None)
    if tab is not None:
        context["tab_template"] = tab.template
        if tab.context:
            context.update(tab.context(record, request.user))
    elif tab_key == "timeline" and context["has_timeline"]:
        context.update(_timeline_context(request, entity, record))
        if request.htmx_target == "timeline-more":
            return render(request, "web/partials/timeline_items.html", context)
    elif tab_key == "history":
        context["history"] = _history_rows(entity, record, definitions, mask)
    elif tab_key == "sharing":
        context["shares"] = Share.objects.filter(
            entity=entity.name, object_id=record.pk
        ).select_related("user", "team")
    if request.htmx_target == "tab-content":
        return render(request, "web/partials/detail_tab.html", context)
    return render(request, "web/detail.html", context)


def record_allows(entity: Entity, user, record, action: str) -> bool:
    return entity.model.objects.visible_to(user, action).filter(pk=record.pk).exists()


def _timeline_context(request, entity: Entity, record) -> dict:
    sources = timeline.sources(entity.name)
    known = {source.kind for source in sources}
    kinds = [kind for kind in request.GET.getlist("kind") if kind in known]
    before = parse_datetime(request.GET.get("before", "") or "") or None
    items, next_before = timeline.timeline(
        entity.name, record, request.user, kinds=kinds, before=before, limit=25
    )
    icons = {source.kind: source.icon for source in sources}
    labels = {source.kind: source.label for source in sources}
    return {
        "timeline_items": [
            {"item": item, "icon": icons.get(item.kind, "circle"), "label": labels[item.kind]}
            for item in items
        ],
        "timeline_sources": sources,
        "timeline_kinds": kinds,
        "timeline_next": next_before.isoformat() if next_before else "",
    }


def _history_rows(entity: Entity, record, definitions, mask: bool = False) -> list[dict]:
    rows = []
    for entry in audit.history(entity.name, record.pk)[:200]:
        changes = [
            {
                "field": display.field_label(entity, key, definitions),
                "before": display.history_value(
                    entity, key, privacy.shown(entity, key, values[0], mask), definitions
                ),
                "after": display.history_value(
                    entity, key, privacy.shown(entity, key, values[1], mask), definitions
                ),
            }
            for key, values in entry.changes.items()
        ]
        merge_url = ""
        if entry.batch.startswith("merge:") and entity.duplicates is not None:
            merge_url = reverse(entity.url_name("merge_detail"), args=[int(entry.batch[6:])])
        rows.append({"entry": entry, "changes": changes, "merge_url": merge_url})
    return rows


def _version_from(request) -> int | None:
    raw = request.POST.get("version") or request.headers.get("If-Match", "").strip('"')
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def duplicate_warning(request, entity: Entity, form, record=None) -> dict | None:
    """Return the duplicate panel's context if the form's values look like existing records.

    Saving anyway takes the "save duplicates" permission. An edit is checked only when a
    compared field changed, so a known pair does not warn at every edit.
    """
    if entity.duplicates is None:
        return None
    if record is not None:
        sources = {source for rule in entity.duplicates.fields for source in rule.sources}
        if not sources & set(form.changed_data):
            return None
    allowed = can(request.user, entity.name, Action.SAVE_DUPLICATE)
    if allowed and request.POST.get("save_duplicate"):
        return None
    check = dedupe.duplicate_check(
        entity.name,
        form.cleaned_data,
        user=request.user,
        exclude_pk=getattr(record, "pk", None),
    )
    if not check:
        return None
    return {"matches": check.matches, "hidden": check.hidden, "can_save_duplicate": allowed}


@login_required
def record_create(request, entity_name: str):
    """Create a record; answer validation errors in the user's language."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.CREATE)
    initial = {
        key: value for key, value in request.GET.items() if key in entity.form_class.base_fields
    }
    form = entity.form_class(request.POST or None, user=request.user, initial=initial)
    status = 200
    duplicates = None
    if request.method == "POST":
        if form.is_valid() and (duplicates := duplicate_warning(request, entity, form)):
            status = 409
        elif form.is_valid():
            try:
                record = services.record_create(actor=request.user, entity=entity, form=form)
            except OutOfScope:
                form.add_error(
                    None, _("You would not be allowed to see this record after saving it.")
                )
                status = 403
            else:
                messages.success(
                    request,
                    _("%(entity)s “%(name)s” was created.")
                    % {"entity": entity.verbose_name, "name": record},
                )
                return redirect(reverse(entity.url_name("detail"), args=[record.pk]))
        else:
            status = 400
    return render(
        request,
        "web/form.html",
        {
            "entity": entity,
            "current_entity": entity,
            "form": form,
            "record": None,
            "duplicates": duplicates,
        },
        status=status,
    )


@login_required
def record_edit(request, entity_name: str, pk: int):
    """Edit a record; an edit based on a stale version is refused, never silently lost."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.EDIT)
    record = record_or_404(entity, request.user, pk, Action.EDIT)
    form = entity.form_class(request.POST or None, instance=record, user=request.user)
    status = 200
    duplicates = None
    if request.method == "POST":
        if form.is_valid() and (duplicates := duplicate_warning(request, entity, form, record)):
            status = 409
        elif form.is_valid():
            try:
                record = services.record_update(
                    actor=request.user,
                    entity=entity,
                    form=form,
                    expected_version=_version_from(request),
                )
            except services.StaleRecord as error:
                form.add_error(None, str(error.message))
                status = 409
            except RecordLocked as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
                status = 409
            except OutOfScope:
                form.add_error(
                    None, _("You would not be allowed to see this record after saving it.")
                )
                status = 403
            except PermissionDenied:
                form.add_error("owner", _("You are not allowed to assign records to other users."))
                status = 403
            else:
                messages.success(request, _("Your changes were saved."))
                return redirect(reverse(entity.url_name("detail"), args=[record.pk]))
        else:
            status = 400
    version = (
        request.POST.get("version") if request.method == "POST" else getattr(record, "version", "")
    )
    return render(
        request,
        "web/form.html",
        {
            "entity": entity,
            "current_entity": entity,
            "form": form,
            "record": record,
            "version": version,
            "duplicates": duplicates,
        },
        status=status,
    )


@login_required
def record_delete(request, entity_name: str, pk: int):
    """Ask for confirmation, then delete a record."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.DELETE)
    record = record_or_404(entity, request.user, pk, Action.DELETE)
    if request.method == "POST":
        try:
            services.record_delete(actor=request.user, entity=entity, instance=record)
        except ProtectedError as error:
            messages.error(request, protected_message(error))
            return redirect(reverse(entity.url_name("detail"), args=[record.pk]))
        messages.success(
            request,
            _("%(entity)s “%(name)s” was deleted.")
            % {"entity": entity.verbose_name, "name": record},
        )
        return redirect(entity.url_name("list"))
    return render(
        request,
        "web/confirm_delete.html",
        {"entity": entity, "current_entity": entity, "record": record},
    )


def protected_message(error: ProtectedError) -> str:
    """Explain in the user's language why a record cannot be deleted yet."""
    related = {}
    for obj in error.protected_objects:
        related.setdefault(obj._meta.verbose_name_plural, 0)
        related[obj._meta.verbose_name_plural] += 1
    summary = ", ".join(f"{count} {name}" for name, count in related.items())
    return _(
        "This cannot be deleted while other records refer to it (%(related)s). "
        "Delete or move them first."
    ) % {"related": summary}


@login_required
def record_share(request, entity_name: str, pk: int):
    """Share a record with users or teams, or take a share back."""
    entity = entity_or_404(entity_name)
    record = record_or_404(entity, request.user, pk, Action.EDIT)
    form = ShareForm(request.POST or None)
    if request.method == "POST" and request.POST.get("remove"):
        try:
            services.record_unshare(
                actor=request.user,
                entity=entity,
                instance=record,
                share_id=int(request.POST["remove"]),
            )
        except (Share.DoesNotExist, ValueError):
            raise Http404 from None
        messages.success(request, _("The share was removed."))
        return redirect(reverse(entity.url_name("detail"), args=[record.pk]) + "?tab=sharing")
    if request.method == "POST" and form.is_valid():
        services.record_share(
            actor=request.user,
            entity=entity,
            instance=record,
            users=form.cleaned_data["users"],
            teams=form.cleaned_data["teams"],
            access=form.cleaned_data["access"],
        )
        messages.success(request, _("The record was shared."))
        return redirect(reverse(entity.url_name("detail"), args=[record.pk]) + "?tab=sharing")
    shares = Share.objects.filter(entity=entity.name, object_id=record.pk).select_related(
        "user", "team"
    )
    return render(
        request,
        "web/share.html",
        {
            "entity": entity,
            "current_entity": entity,
            "record": record,
            "form": form,
            "shares": shares,
            "access_choices": ShareAccess.choices,
            "teams": Team.objects.all(),
        },
        status=400 if form.errors else 200,
    )


@login_required
def autocomplete(request, entity_name: str):
    """Return up to 20 records the user may view matching `q`, for foreign-key pickers."""
    entity = entity_or_404(entity_name)
    if not can(request.user, entity.name, Action.VIEW):
        return JsonResponse({"results": []})
    queryset = entity.model.objects.visible_to(request.user, Action.VIEW)
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(pk__in=search.matching_ids(entity.name, query))
    else:
        queryset = queryset.order_by("-updated_at")
    results = [{"value": str(record.pk), "text": str(record)} for record in queryset[:20]]
    return JsonResponse({"results": results})


def htmx_redirect(url: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Location"] = url
    return response
