"""Screens of telesales: build a call list from a list's selection, the call screen, stats."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.core import queries, registry
from guanxi.core.choices import Action
from guanxi.core.jobs import job_handler, job_start
from guanxi.core.permissions import require
from guanxi.sales import calllist_queries, calllist_services
from guanxi.sales.calllist_forms import CallListBuildForm, CallOutcomeForm, OutcomeForm
from guanxi.sales.competitor_views import filter_choices, scope_from_request
from guanxi.sales.models import CallList, CallListEntry, CallOutcome
from guanxi.web.views import bulk_actions
from guanxi.web.views.bulk import INLINE_LIMIT, _as_querydict, _selection_params, selection
from guanxi.web.views.records import entity_or_404, record_or_404


def _form_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_POST
def bulk_calllist(request, entity_name: str):
    """Ask for a name and reps, then build a call list of the selected records."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.VIEW)
    require(request.user, "calllist", Action.CREATE)
    queryset = selection(entity, request.user, request.POST, Action.VIEW)
    count, more = queries.capped_count(queryset)
    building = "create" in request.POST
    form = CallListBuildForm(request.POST if building else None, user=request.user)
    if building and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                call_list = calllist_services.calllist_create(
                    actor=request.user,
                    name=data["name"],
                    entity=entity.name,
                    filter_query=request.POST.get("querystring", ""),
                    description=data["description"],
                )
                if more or count > INLINE_LIMIT:
                    job = job_start(
                        user=request.user,
                        kind="calllist_build",
                        title=_("Call list %(name)s") % {"name": call_list.name},
                        params={
                            "call_list": call_list.pk,
                            "selection": _selection_params(request),
                            "reps": [int(pk) for pk in data["reps"]],
                            "method": data["method"],
                            "counts": data["counts"],
                        },
                    )
                    return redirect("web:job_detail", pk=job.pk)
                added = calllist_services.calllist_add_records(
                    actor=request.user,
                    call_list=call_list,
                    records=queryset,
                    rep_ids=[int(pk) for pk in data["reps"]],
                    method=data["method"],
                    counts=data["counts"],
                )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(
                request, _("The call list was built with %(count)s records.") % {"count": added}
            )
            return redirect("web:calllist_detail", pk=call_list.pk)
    return render(
        request,
        "sales/calllist/build.html",
        {
            "entity": entity,
            "current_entity": entity,
            "form": form,
            "count": count,
            "count_more": more,
            "selection": _selection_params(request),
        },
        status=400 if form.is_bound else 200,
    )


@job_handler("calllist_build")
def run_calllist_build(job, progress) -> dict:
    call_list = CallList.objects.get(pk=job.params["call_list"])
    entity = registry.get(call_list.entity)
    selected = selection(entity, job.user, _as_querydict(job.params["selection"]), Action.VIEW)
    progress.set_total(selected.count())
    added = calllist_services.calllist_add_records(
        actor=job.user,
        call_list=call_list,
        records=selected,
        rep_ids=job.params["reps"],
        method=job.params["method"],
        counts=job.params["counts"],
        progress=progress,
    )
    return {
        "count": added,
        "message": _("The call list was built with %(count)s records.") % {"count": added},
    }


def _call_list(request, pk: int) -> CallList:
    return record_or_404(registry.get("calllist"), request.user, pk)


def _entry(request, call_list: CallList, entry_id) -> CallListEntry:
    try:
        return calllist_services.entry_for_caller(request.user, call_list, int(entry_id))
    except (CallListEntry.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@login_required
def call_screen(request, pk: int):
    """Show the rep's next entry with the record's numbers and activities; save its outcome."""
    call_list = _call_list(request, pk)
    form = OutcomeForm(request.POST or None)
    entry = None
    if request.method == "POST":
        entry = _entry(request, call_list, request.POST.get("entry"))
        if form.is_valid():
            try:
                calllist_services.calllist_record_outcome(
                    actor=request.user,
                    entry=entry,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                    callback_at=form.cleaned_data["callback_at"],
                )
            except ValidationError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("The call was logged."))
                return redirect("web:calllist_call", pk=call_list.pk)
    elif request.GET.get("entry"):
        entry = _entry(request, call_list, request.GET["entry"])
    else:
        entry = calllist_services.next_entry(user=request.user, call_list=call_list)
    context = {
        "call_list": call_list,
        "entry": entry,
        "form": form,
        "outcomes": calllist_queries.outcomes(),
        "counts": calllist_queries.entry_counts(call_list, request.user),
    }
    if entry is not None:
        record = calllist_services.entry_record(call_list, entry)
        context["card"] = calllist_queries.record_card(call_list, entry, record, request.user)
        context["record_entity"] = registry.get(call_list.entity)
    status = 400 if form.errors else 200
    return render(request, "sales/calllist/call.html", context, status=status)


@login_required
@require_POST
def call_skip(request, pk: int, entry_id: int):
    call_list = _call_list(request, pk)
    entry = _entry(request, call_list, entry_id)
    calllist_services.calllist_skip(actor=request.user, entry=entry)
    messages.info(request, _("The record was skipped."))
    return redirect("web:calllist_call", pk=call_list.pk)


class TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]


@login_required
def call_dial(request, pk: int, entry_id: int, field: str):
    """Hand a number to the phone without printing it on the page (for masked roles)."""
    call_list = _call_list(request, pk)
    entry = _entry(request, call_list, entry_id)
    record = calllist_services.entry_record(call_list, entry)
    number = calllist_queries.dial_number(call_list, record, field)
    if not number:
        raise Http404
    return TelRedirect(f"tel:{number}")


@login_required
def call_statistics(request):
    """Show per rep the calls made, connected, outcomes and callbacks kept in a period."""
    require(request.user, "calllist", Action.VIEW)
    scope, errors = scope_from_request(request)
    context = {
        "scope": scope,
        "errors": errors,
        "rows": calllist_queries.call_statistics(request.user, scope),
        "outcome_codes": calllist_queries.outcomes(),
        **filter_choices(),
    }
    return render(request, "sales/calllist/stats.html", context, status=400 if errors else 200)


def _require_admin(user) -> None:
    if not (user.is_superuser or user.is_staff):
        raise PermissionDenied


@login_required
def outcome_settings(request, pk: int | None = None):
    """List the call outcome codes and add or change one (administrators)."""
    _require_admin(request.user)
    instance = None
    if pk is not None:
        instance = CallOutcome.objects.filter(pk=pk).first()
        if instance is None:
            raise Http404
    form = CallOutcomeForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The call outcome was saved."))
        return redirect(reverse("web:calllist_outcomes"))
    return render(
        request,
        "sales/calllist/outcomes.html",
        {
            "settings_section": "sales",
            "outcomes": CallOutcome.objects.order_by("position", "id"),
            "form": form,
            "instance": instance,
        },
        status=400 if form.errors else 200,
    )


bulk_actions.register(
    bulk_actions.BulkAction(
        key="calllist",
        label=gettext_lazy("Create call list"),
        icon="phone-outgoing",
        view=bulk_calllist,
        action=Action.VIEW,
        also_needs=("calllist", Action.CREATE),
        applies=lambda entity: entity.name in calllist_services.CALLABLE_ENTITIES,
    )
)
