"""Screens of tags and groups: bulk tag/untag, bulk "add to group", taking members out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.core import audit, grouping, queries, registry, services
from guanxi.core.choices import Action, AuditAction
from guanxi.core.jobs import job_handler, job_start
from guanxi.core.models import Group
from guanxi.core.permissions import can, require
from guanxi.web.views import bulk_actions
from guanxi.web.views.bulk import INLINE_LIMIT, _as_querydict, _selection_params, selection
from guanxi.web.views.records import entity_or_404, record_or_404


def _back_to_list(entity, request):
    """Go back where the action started: a record's page (`next`) or the list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(reverse(entity.url_name("list")) + "?" + request.POST.get("querystring", ""))


@login_required
@require_POST
def bulk_tag(request, entity_name: str):
    """Add tags to, or remove tags from, every selected record the user may edit."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.EDIT)
    queryset = selection(entity, request.user, request.POST, Action.EDIT)
    count, more = queries.capped_count(queryset)
    names = grouping.clean_tag_names(request.POST.getlist("tags"))
    remove = request.POST.get("mode") == "remove"
    error = ""
    if "apply" in request.POST:
        if not names:
            error = _("Choose at least one tag.")
        elif more or count > INLINE_LIMIT:
            job = job_start(
                user=request.user,
                kind="bulk_tag",
                title=_("Tags of %(entity)s") % {"entity": entity.verbose_name_plural},
                params={
                    "entity": entity.name,
                    "selection": _selection_params(request),
                    "tags": names,
                    "remove": remove,
                },
            )
            return redirect("web:job_detail", pk=job.pk)
        else:
            changed = grouping.records_tag(
                actor=request.user, entity=entity, queryset=queryset, names=names, remove=remove
            )
            messages.success(request, _("%(count)s records were changed.") % {"count": changed})
            return _back_to_list(entity, request)
    context = {
        "entity": entity,
        "current_entity": entity,
        "count": count,
        "count_more": more,
        "tag_options": sorted({*(name for name, _label in grouping.tag_choices()), *names}),
        "chosen": names,
        "remove": remove,
        "error": error,
        "selection": _selection_params(request),
    }
    return render(request, "web/bulk_tags.html", context, status=400 if error else 200)


@job_handler("bulk_tag")
def run_bulk_tag(job, progress) -> dict:
    entity = registry.get(job.params["entity"])
    selected = selection(entity, job.user, _as_querydict(job.params["selection"]), Action.EDIT)
    progress.set_total(selected.count())
    changed = grouping.records_tag(
        actor=job.user,
        entity=entity,
        queryset=selected,
        names=job.params["tags"],
        remove=job.params["remove"],
        progress=progress,
    )
    return {"count": changed, "message": _("%(count)s records were changed.") % {"count": changed}}


def _editable_groups(entity, user):
    return Group.objects.visible_to(user, Action.EDIT).filter(entity=entity.name).order_by("name")


@login_required
@require_POST
def bulk_group(request, entity_name: str):
    """Add every selected record to a group, chosen or created here."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.VIEW)
    require(request.user, "group", Action.EDIT)
    queryset = selection(entity, request.user, request.POST, Action.VIEW)
    count, more = queries.capped_count(queryset)
    groups = _editable_groups(entity, request.user)
    error = ""
    if "apply" in request.POST:
        group, error = _chosen_group(request, entity, groups)
        if group is not None and (more or count > INLINE_LIMIT):
            job = job_start(
                user=request.user,
                kind="bulk_group",
                title=_("Add to group “%(group)s”") % {"group": group},
                params={
                    "entity": entity.name,
                    "group": group.pk,
                    "selection": _selection_params(request),
                },
            )
            return redirect("web:job_detail", pk=job.pk)
        if group is not None:
            added = grouping.group_add(actor=request.user, group=group, queryset=queryset)
            messages.success(
                request,
                _("%(count)s records were added to the group “%(group)s”.")
                % {"count": added, "group": group},
            )
            return _back_to_list(entity, request)
    context = {
        "entity": entity,
        "current_entity": entity,
        "count": count,
        "count_more": more,
        "groups": groups[:500],
        "can_create_group": can(request.user, "group", Action.CREATE),
        "error": error,
        "new_name": request.POST.get("new_group", ""),
        "next": request.POST.get("next", ""),
        "selection": _selection_params(request),
    }
    return render(request, "web/bulk_group.html", context, status=400 if error else 200)


def _chosen_group(request, entity, groups) -> tuple[Group | None, str]:
    """Return the group picked in the form (creating a new one if named), or an error."""
    new_name = " ".join(request.POST.get("new_group", "").split())
    if new_name:
        if not can(request.user, "group", Action.CREATE):
            return None, _("You may not create groups.")
        form = registry.get("group").form_class(
            {"name": new_name, "entity": entity.name, "owner": request.user.pk},
            user=request.user,
        )
        if not form.is_valid():
            return None, " ".join(str(error) for error in form.errors.get("name", [])) or _(
                "The group could not be created."
            )
        group = services.record_create(actor=request.user, entity=registry.get("group"), form=form)
        return group, ""
    raw = request.POST.get("group", "")
    group = groups.filter(pk=int(raw)).first() if raw.isdigit() else None
    if group is None:
        return None, _("Choose a group or name a new one.")
    return group, ""


@job_handler("bulk_group")
def run_bulk_group(job, progress) -> dict:
    entity = registry.get(job.params["entity"])
    group = grouping.group_for_edit(job.user, job.params["group"])
    if group is None:
        raise ValueError(_("The group no longer exists or you may no longer change it."))
    selected = selection(entity, job.user, _as_querydict(job.params["selection"]), Action.VIEW)
    progress.set_total(selected.count())
    added = grouping.group_add(actor=job.user, group=group, queryset=selected, progress=progress)
    return {
        "count": added,
        "message": _("%(count)s records were added to the group “%(group)s”.")
        % {"count": added, "group": group},
    }


@login_required
@require_POST
def record_tags(request, entity_name: str, pk: int):
    """Set a record's tags from its page; the change goes to the record's history."""
    entity = entity_or_404(entity_name)
    if not entity.has_tags:
        raise Http404
    require(request.user, entity.name, Action.EDIT)
    record = record_or_404(entity, request.user, pk, Action.EDIT)
    with transaction.atomic():
        change = grouping.record_tags_set(
            actor=request.user,
            entity=entity,
            instance=record,
            names=request.POST.getlist("tags"),
        )
        if change is not None:
            audit.record(
                actor=request.user,
                entity=entity.name,
                instance=record,
                action=AuditAction.UPDATE,
                changes={"tags": [change[0] or None, change[1] or None]},
            )
    messages.success(request, _("The tags were saved."))
    return redirect(reverse(entity.url_name("detail"), args=[record.pk]))


@login_required
@require_POST
def group_members_remove(request, pk: int):
    """Take the ticked members out of a group."""
    entity = registry.get("group")
    group = record_or_404(entity, request.user, pk, Action.EDIT)
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    if not ids:
        raise Http404
    removed = grouping.group_remove(actor=request.user, group=group, ids=ids)
    messages.success(
        request, _("%(count)s records were taken out of the group.") % {"count": removed}
    )
    return redirect(reverse(entity.url_name("detail"), args=[group.pk]) + "?tab=members")


bulk_actions.register(
    bulk_actions.BulkAction(
        key="tag",
        label=gettext_lazy("Add or remove tags"),
        icon="tag",
        view=bulk_tag,
        action=Action.EDIT,
        applies=lambda entity: entity.has_tags,
    )
)
bulk_actions.register(
    bulk_actions.BulkAction(
        key="group",
        label=gettext_lazy("Add to group"),
        icon="users-group",
        view=bulk_group,
        action=Action.VIEW,
        also_needs=("group", Action.EDIT),
        applies=lambda entity: entity.has_groups,
    )
)
