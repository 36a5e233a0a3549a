"""Approval screens: the inbox, an approval's page, submitting, the monitor, the settings."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import ProtectedError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.web.views.decorators import settings_required
from guanxi.web.views.records import entity_or_404, record_or_404
from guanxi.workflow import approval_queries as queries
from guanxi.workflow import approval_services as services
from guanxi.workflow import conditions
from guanxi.workflow.approval_definitions import entity_choices
from guanxi.workflow.approval_forms import (
    DecisionForm,
    DelegateForm,
    DelegationForm,
    EntityChoiceForm,
    ProcessForm,
    StepForm,
    StepFormSet,
    steps_of,
)
from guanxi.workflow.approval_models import (
    ApprovalDelegation,
    ApprovalInstance,
    ApprovalProcess,
    ApprovalStatus,
    ApprovalTask,
)

PAGE_SIZE = 50


def _error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


# --- Inbox ----------------------------------------------------------------------------------


@login_required
def approval_inbox(request):
    """List the approvals waiting for the user, those they requested and those they decided."""
    show = request.GET.get("show", "pending")
    if show not in ("pending", "requested", "decided"):
        show = "pending"
    context = {"show": show, "pending_count": queries.pending_task_count(request.user)}
    if show == "pending":
        page = Paginator(queries.inbox_tasks(request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context["tasks"] = page
    else:
        page = Paginator(
            queries.instances_for(request.user, mine=show).order_by("-started_at", "-id"),
            PAGE_SIZE,
        ).get_page(request.GET.get("page"))
        context["instances"] = page
    context["page"] = page
    return render(request, "workflow/approval/inbox.html", context)


@login_required
def approval_inbox_count(request):
    """Return the sidebar badge of the user's pending approvals (htmx)."""
    count = queries.pending_task_count(request.user)
    if not count:
        return HttpResponse("")
    return HttpResponse(
        format_html(
            '<span class="badge bg-red text-red-fg ms-auto" data-testid="approval-count">{}</span>',
            count,
        )
    )


# --- One approval ---------------------------------------------------------------------------


def _instance_or_404(request, pk: int) -> ApprovalInstance:
    instance = queries.with_tasks(queries.instances()).filter(pk=pk).first()
    if instance is None or not queries.can_see(request.user, instance):
        raise Http404
    return instance


@login_required
def approval_detail(request, pk: int, decision_form=None, delegate_form=None, status=200):
    """Show what an approver decides on: the record summary, the steps and the trail."""
    instance = _instance_or_404(request, pk)
    record = services.record_of(instance)
    entity = registry.find(instance.entity)
    task = queries.open_task_of(request.user, instance)
    record_url = ""
    if record is not None and entity is not None:
        from guanxi.core.permissions import scope_filter

        visible = scope_filter(entity.model._default_manager.all(), request.user, Action.VIEW)
        if visible.filter(pk=record.pk).exists():
            record_url = reverse(entity.url_name("detail"), args=[record.pk])
    context = {
        "instance": instance,
        "entity": entity,
        "record_url": record_url,
        "summary": queries.summary(instance, record, request.user),
        "steps": queries.steps_view(instance),
        "action_text": queries.action_text(instance),
        "task": task,
        "decision_form": decision_form or DecisionForm(),
        "delegate_form": delegate_form or DelegateForm(user=request.user),
        "can_withdraw": instance.is_pending and instance.requester_id == request.user.pk,
        "can_cancel": instance.is_pending and services.is_admin(request.user),
    }
    return render(request, "workflow/approval/detail.html", context, status=status)


@login_required
@require_POST
def approval_decide(request, pk: int, verb: str):
    """Approve, reject, delegate, withdraw or cancel, then show the approval again."""
    instance = _instance_or_404(request, pk)
    task = queries.open_task_of(request.user, instance)
    comment = request.POST.get("comment", "")
    try:
        if verb in ("approve", "reject"):
            if task is None:
                raise PermissionDenied
            form = DecisionForm(request.POST)
            form.is_valid()
            services.approval_decide(
                actor=request.user, task=task, approve=verb == "approve", comment=comment
            )
            done = _("You approved it.") if verb == "approve" else _("You rejected it.")
        elif verb == "delegate":
            if task is None:
                raise PermissionDenied
            form = DelegateForm(request.POST, user=request.user)
            if not form.is_valid():
                return approval_detail(request, pk, delegate_form=form, status=400)
            new = services.approval_task_delegate(
                actor=request.user,
                task=task,
                delegate=form.cleaned_data["delegate"],
                comment=form.cleaned_data["comment"],
            )
            done = _("%(user)s decides now.") % {"user": new.assignee}
        elif verb == "withdraw":
            services.approval_withdraw(actor=request.user, instance=instance, comment=comment)
            done = _("You withdrew the request.")
        elif verb == "cancel":
            services.approval_cancel(actor=request.user, instance=instance, comment=comment)
            done = _("The approval was cancelled.")
        else:
            raise Http404
    except services.ApprovalError as error:
        form = DecisionForm(request.POST)
        form.is_valid()
        if hasattr(error, "error_dict"):
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            form.add_error(None, _error_text(error))
        return approval_detail(request, pk, decision_form=form, status=400)
    if request.htmx and request.POST.get("next") == "inbox":
        # The inbox swaps the decided row in place.
        return render(
            request,
            "workflow/approval/partials/inbox_done.html",
            {"instance": instance, "done": done},
        )
    messages.success(request, done)
    if request.POST.get("next") == "inbox":
        return redirect("web:approval_inbox")
    return redirect("web:approval_detail", pk=pk)


# --- Submitting from a record's page ------------------------------------------------------


@login_required
def approval_submit(request, entity_name: str, pk: int):
    """Submit a record for one of the hand-submitted processes that apply to it."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.EDIT)
    record = record_or_404(entity, request.user, pk, Action.EDIT)
    waiting = {instance.process_id for instance in services.pending_instances(entity.name, pk)}
    processes = [
        process
        for process in services.submit_processes(entity.name, record)
        if process.pk not in waiting
    ]
    if not processes:
        raise Http404
    chosen = next(
        (p for p in processes if str(p.pk) == request.POST.get("process", "")), processes[0]
    )
    form = DecisionForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            instance = services.approval_submit(
                actor=request.user,
                entity_name=entity.name,
                record=record,
                process=chosen,
                comment=form.cleaned_data["comment"],
            )
        except services.ApprovalError as problem:
            error = _error_text(problem)
        else:
            messages.success(request, _("Sent for approval."))
            return redirect("web:approval_detail", pk=instance.pk)
    plans = [
        {
            "process": process,
            "steps": [
                {"step": step, "approvers": services.step_approvers(step, request.user)}
                for step in process.current_version.steps
            ],
        }
        for process in processes
    ]
    return render(
        request,
        "workflow/approval/submit.html",
        {
            "entity": entity,
            "current_entity": entity,
            "record": record,
            "processes": processes,
            "chosen": chosen,
            "plans": plans,
            "form": form,
            "error": error,
        },
        status=400 if error else 200,
    )


# --- Delegations ----------------------------------------------------------------------------


@login_required
def approval_delegations(request):
    """List the user's delegations and add one (e.g. before leave)."""
    form = DelegationForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.delegation_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
            status = 400
        else:
            messages.success(request, _("The delegation was saved."))
            return redirect("web:approval_delegations")
    elif form.errors:
        status = 400
    delegations = ApprovalDelegation.objects.filter(user=request.user).select_related(
        "delegate", "process"
    )
    return render(
        request,
        "workflow/approval/delegations.html",
        {"form": form, "delegations": delegations, "today": timezone.localdate()},
        status=status,
    )


@login_required
@require_POST
def approval_delegation_end(request, pk: int):
    delegation = get_object_or_404(ApprovalDelegation, pk=pk, user=request.user)
    services.delegation_end(actor=request.user, delegation=delegation)
    messages.success(request, _("The delegation was ended."))
    return redirect("web:approval_delegations")


# --- Monitor ----------------------------------------------------------------------------------


@login_required
def approval_monitor(request):
    """Show administrators the running approvals, where each waits and for how long."""
    if not services.is_admin(request.user):
        raise PermissionDenied
    status = request.GET.get("status", ApprovalStatus.PENDING)
    if status not in ApprovalStatus.values and status != "all":
        status = ApprovalStatus.PENDING
    entity = request.GET.get("entity", "")
    process = request.GET.get("process", "")
    queryset = queries.with_tasks(
        queries.instances_for(
            request.user,
            status="" if status == "all" else status,
            entity=entity if registry.find(entity) else "",
            process=int(process) if process.isdigit() else None,
        )
    ).order_by("started_at", "id")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = queries.monitor_rows(page.object_list)
    return render(
        request,
        "workflow/approval/monitor.html",
        {
            "rows": rows,
            "page": page,
            "status": status,
            "statuses": ApprovalStatus.choices,
            "entity": entity,
            "entities": entity_choices(),
            "process": process,
            "processes": ApprovalProcess.objects.order_by("name"),
            "filter_query": urlencode({"status": status, "entity": entity, "process": process})
            + "&",
        },
    )


# --- Settings: processes --------------------------------------------------------------------


def _settings(request, template: str, context: dict, status: int = 200):
    return render(
        request, template, {"settings_section": "approval_processes", **context}, status=status
    )


@settings_required
def process_list(request):
    processes = ApprovalProcess.objects.select_related("current_version").order_by("entity", "name")
    labels = dict(entity_choices())
    from guanxi.workflow.approval_gates import get_gate

    for process in processes:
        process.entity_label = labels.get(process.entity, process.entity)
        gate = get_gate(process.trigger)
        process.trigger_label = gate.label if gate else _("Submitted by hand")
        process.conditions_text = (
            conditions.describe(process.entity, process.conditions)
            if registry.find(process.entity)
            else ""
        )
    return _settings(request, "workflow/approval/settings/processes.html", {"processes": processes})


@settings_required
def process_edit(request, pk: int | None = None):
    """Create or change a process; saving a changed definition publishes a new version."""
    process = get_object_or_404(ApprovalProcess, pk=pk) if pk else None
    entity_name = (
        process.entity if process else request.GET.get("entity") or request.POST.get("entity", "")
    )
    if registry.find(entity_name) is None:
        chooser = EntityChoiceForm(request.GET or None)
        return _settings(
            request,
            "workflow/approval/settings/choose_entity.html",
            {"form": chooser},
            status=400 if request.GET else 200,
        )
    posted = request.method == "POST"
    form = ProcessForm(
        request.POST if posted else None,
        entity_name=entity_name,
        initial=ProcessForm.initial_of(process) if process else None,
    )
    steps_initial = (
        [StepForm.initial_of(step) for step in process.steps] if process else [{"kind": "manager"}]
    )
    data = request.POST.copy() if posted else None
    if posted and "add_step" in request.POST:
        data["steps-TOTAL_FORMS"] = str(int(data.get("steps-TOTAL_FORMS", "0") or 0) + 1)
    formset = StepFormSet(data, prefix="steps", initial=None if posted else steps_initial)
    if posted and "add_step" not in request.POST and form.is_valid() and formset.is_valid():
        values = {**form.cleaned_data, "entity": entity_name, "steps": steps_of(formset)}
        try:
            process = services.process_save(actor=request.user, process=process, values=values)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                if field in form.fields:
                    form.add_error(field, problems)
                else:
                    form.add_error(None, [f"{_label(field)}: {p}" for p in problems])
        else:
            messages.success(
                request,
                _("The approval process “%(name)s” was saved (version %(n)s).")
                % {"name": process.name, "n": process.current_version.number},
            )
            return redirect("web:approval_process_list")
    entity = registry.get(entity_name)
    heading = process.name if process else _("New approval process")
    return _settings(
        request,
        "workflow/approval/settings/process_form.html",
        {
            "form": form,
            "formset": formset,
            "process": process,
            "entity_name": entity_name,
            "entity_label": entity.verbose_name,
            "heading": heading,
            "versions": process.versions.select_related("created_by")[:20] if process else [],
        },
        status=400 if posted and "add_step" not in request.POST else 200,
    )


def _label(field: str) -> str:
    parts = field.split(".")
    if parts[0] == "steps" and len(parts) > 1 and parts[1].isdigit():
        return _("Step %(n)s") % {"n": int(parts[1]) + 1}
    return field


@settings_required
def process_delete(request, pk: int):
    process = get_object_or_404(ApprovalProcess, pk=pk)
    if request.method == "POST":
        try:
            process.delete()
        except ProtectedError:
            messages.error(
                request,
                _("The process has run and keeps its trail; deactivate it instead."),
            )
            return redirect("web:approval_process_edit", pk=pk)
        messages.success(request, _("The approval process was deleted."))
        return redirect("web:approval_process_list")
    return _settings(
        request,
        "customers/settings/confirm_delete.html",
        {
            "question": _("Delete the approval process “%(name)s”?") % {"name": process.name},
            "back": reverse("web:approval_process_list"),
        },
    )


__all__ = ["ApprovalTask"]
