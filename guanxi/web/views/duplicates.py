"""Duplicate screens (CUS-5): the finder's groups, starting a scan, merging, merge details."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import display
from guanxi.core.choices import Action, JobStatus
from guanxi.core.dedupe import duplicate_check, reason_texts
from guanxi.core.dedupe import merge as merging
from guanxi.core.jobs import job_start
from guanxi.core.models import DuplicateCluster, Job, MergeRecord
from guanxi.core.permissions import OutOfScope, can, require
from guanxi.web.views.records import definitions_by_key, entity_or_404, protected_message

PAGE_SIZE = 25
MAX_MERGED = 10


def duplicate_entity(entity_name: str):
    entity = entity_or_404(entity_name)
    if entity.duplicates is None:
        raise Http404
    return entity


def visible_clusters(entity, user, clusters) -> list[dict]:
    """Return the clusters with only the members the user may view; fewer than two: left out."""
    clusters = list(clusters)
    ids = {pk for cluster in clusters for pk in cluster.member_ids}
    records = {
        record.pk: record
        for record in entity.model.objects.visible_to(user, Action.VIEW)
        .filter(pk__in=ids)
        .select_related(*entity.select_related)
    }
    rows = []
    for cluster in clusters:
        members = [records[pk] for pk in cluster.member_ids if pk in records]
        if len(members) > 1:
            reasons = reason_texts(entity, cluster.reasons)
            rows.append({"cluster": cluster, "members": members, "reasons": reasons})
    return rows


def last_scan(entity) -> Job | None:
    return Job.objects.filter(kind="dedupe_scan", params__entity=entity.name).first()


@login_required
def duplicate_list(request, entity_name: str):
    """Show the groups of possible duplicates the last scan found, as far as the user sees."""
    entity = duplicate_entity(entity_name)
    require(request.user, entity.name, Action.VIEW)
    try:
        page = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page = 1
    clusters = DuplicateCluster.objects.filter(entity=entity.name).order_by("-score", "id")
    start = (page - 1) * PAGE_SIZE
    chunk = list(clusters[start : start + PAGE_SIZE + 1])
    context = {
        "entity": entity,
        "current_entity": entity,
        "groups": visible_clusters(entity, request.user, chunk[:PAGE_SIZE]),
        "page": page,
        "has_next": len(chunk) > PAGE_SIZE,
        "job": last_scan(entity),
        "can_scan": can(request.user, entity.name, Action.EDIT),
        "can_merge": can(request.user, entity.name, Action.EDIT)
        and can(request.user, entity.name, Action.DELETE),
    }
    return render(request, "web/duplicates.html", context)


@login_required
def record_duplicates(request, entity_name: str, pk: int):
    """Show the records that look like one record, with a merge button for each."""
    entity = duplicate_entity(entity_name)
    require(request.user, entity.name, Action.VIEW)
    record = (
        entity.model.objects.visible_to(request.user, Action.VIEW)
        .select_related(*entity.select_related)
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404
    check = duplicate_check(entity.name, record, user=request.user, exclude_pk=record.pk, limit=50)
    context = {
        "entity": entity,
        "current_entity": entity,
        "record": record,
        "check": check,
        "can_merge": can(request.user, entity.name, Action.EDIT)
        and can(request.user, entity.name, Action.DELETE),
    }
    return render(request, "web/record_duplicates.html", context)


@login_required
@require_POST
def duplicate_scan(request, entity_name: str):
    """Start the duplicate finder over every record of the entity, as a background job."""
    entity = duplicate_entity(entity_name)
    require(request.user, entity.name, Action.EDIT)
    running = last_scan(entity)
    if running is not None and running.status in (JobStatus.PENDING, JobStatus.RUNNING):
        return redirect(reverse("web:job_detail", args=[running.pk]))
    job = job_start(
        user=request.user,
        kind="dedupe_scan",
        title=_("Find duplicate %(entities)s") % {"entities": entity.verbose_name_plural},
        params={"entity": entity.name},
    )
    return redirect(reverse("web:job_detail", args=[job.pk]))


def _merge_ids(request) -> list[int]:
    try:
        ids = [int(pk) for pk in request.GET.getlist("ids") + request.POST.getlist("ids")]
    except ValueError:
        raise Http404 from None
    return list(dict.fromkeys(ids))


def _merge_rows(entity, records, choices, definitions) -> list[dict]:
    rows = []
    for key in merging.merge_fields(entity):
        values = [merging.field_value(record, key) for record in records]
        cells = [
            {
                "pk": record.pk,
                "text": display.record_value(entity, record, key, definitions),
                "checked": choices.get(key) == record.pk,
            }
            for record in records
        ]
        rows.append(
            {
                "key": key,
                "label": display.field_label(entity, key, definitions),
                "cells": cells,
                "differs": any(value != values[0] for value in values),
            }
        )
    return rows


@login_required
def merge(request, entity_name: str):
    """Merge records: choose the survivor and, field by field, the value that survives."""
    entity = duplicate_entity(entity_name)
    require(request.user, entity.name, Action.EDIT)
    require(request.user, entity.name, Action.DELETE)
    ids = _merge_ids(request)[:MAX_MERGED]
    found = entity.model.objects.visible_to(request.user, Action.EDIT).filter(pk__in=ids)
    by_id = {record.pk: record for record in found.select_related(*entity.select_related)}
    if len(ids) < 2 or len(by_id) != len(ids):
        raise Http404
    records = [by_id[pk] for pk in ids]
    definitions = definitions_by_key(entity)
    error, status = "", 200
    choices = merging.default_choices(entity, records)
    if request.method == "POST":
        survivor = by_id.get(_int(request.POST.get("survivor")))
        if survivor is None:
            raise Http404
        requested = {
            key: _int(request.POST.get(f"field_{key}"))
            for key in merging.merge_fields(entity)
            if request.POST.get(f"field_{key}")
        }
        versions = {pk: _int(request.POST.get(f"version_{pk}")) for pk in ids}
        try:
            record = merging.records_merge(
                actor=request.user,
                entity=entity,
                survivor=survivor,
                duplicates=[r for r in records if r.pk != survivor.pk],
                field_choices=requested,
                expected_versions={pk: v for pk, v in versions.items() if v is not None},
            )
        except merging.MergeRefused as refused:
            error, status = str(refused.message), 409
        except OutOfScope:
            raise Http404 from None
        except PermissionDenied:
            error, status = _("You are not allowed to assign records to other users."), 403
        except ProtectedError as protected:
            error, status = protected_message(protected), 409
        else:
            messages.success(
                request,
                _("%(count)d records were merged into “%(name)s”.")
                % {"count": len(record.duplicate_ids), "name": survivor},
            )
            return redirect(reverse(entity.url_name("detail"), args=[survivor.pk]))
        choices.update(requested)
    context = {
        "entity": entity,
        "current_entity": entity,
        "records": records,
        "rows": _merge_rows(entity, records, choices, definitions),
        "survivor_pk": _int(request.POST.get("survivor")) or records[0].pk,
        "error": error,
    }
    return render(request, "web/merge.html", context, status=status)


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@login_required
def merge_detail(request, entity_name: str, pk: int):
    """Show what a merge did: the records as they were, the chosen values, what moved."""
    entity = duplicate_entity(entity_name)
    require(request.user, entity.name, Action.VIEW)
    record = MergeRecord.objects.filter(pk=pk, entity=entity.name).select_related("actor").first()
    survivor = (
        entity.model.objects.visible_to(request.user, Action.VIEW)
        .filter(pk=getattr(record, "survivor_id", None))
        .first()
    )
    if record is None or survivor is None:
        raise Http404
    definitions = definitions_by_key(entity)
    ids = [str(record.survivor_id), *[str(i) for i in record.duplicate_ids]]
    ids = [i for i in ids if i in record.snapshots] + [i for i in record.snapshots if i not in ids]
    keys = [key for key in merging.merge_fields(entity) if "." not in key]
    rows = []
    for key in keys:
        values = [record.snapshots[i].get(key) for i in ids]
        texts = [display.history_value(entity, key, v, definitions) for v in values]
        rows.append(_snapshot_row(entity, record, key, ids, texts, definitions))
    context = {
        "entity": entity,
        "current_entity": entity,
        "merge": record,
        "survivor": survivor,
        "ids": ids,
        "rows": rows,
        "custom_rows": _custom_rows(entity, record, ids, definitions),
        "moved": merging.moved_labels(record.moved),
    }
    return render(request, "web/merge_detail.html", context)


def _custom_rows(entity, record, ids, definitions) -> list[dict]:
    keys = sorted({key for i in ids for key in record.snapshots[i].get("custom", {})})
    rows = []
    for key in keys:
        texts = [
            display.history_value(
                entity, f"custom.{key}", record.snapshots[i]["custom"].get(key), definitions
            )
            for i in ids
        ]
        rows.append(_snapshot_row(entity, record, f"custom.{key}", ids, texts, definitions))
    return rows


def _snapshot_row(entity, record, key, ids, texts, definitions) -> dict:
    chosen = str(record.field_choices.get(key, ids[0]))
    return {
        "label": display.field_label(entity, key, definitions),
        "cells": [
            {"text": text, "chosen": i == chosen} for i, text in zip(ids, texts, strict=True)
        ],
    }
