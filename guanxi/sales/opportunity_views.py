"""Screens special to opportunities: the kanban board, stage moves and the detail tabs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.choices import Action
from guanxi.core.models import Team, User
from guanxi.core.money import format_money
from guanxi.core.permissions import OutOfScope, can, require
from guanxi.core.services import StaleRecord
from guanxi.sales import opportunity_queries as queries
from guanxi.sales import opportunity_services as services
from guanxi.sales.choices import CloseReason
from guanxi.sales.models import (
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    Pipeline,
    Stage,
)
from guanxi.sales.opportunity_entities import CLOSE_PERIODS
from guanxi.sales.opportunity_forms import CompetitorForm, ContactRoleForm, LineForm
from guanxi.sales.pipeline_services import pipeline_default
from guanxi.web.views.records import entity_or_404, record_or_404

FILTER_KEYS = ("owner", "team", "close")


def _pipeline_from(request) -> Pipeline:
    raw = request.GET.get("pipeline", "")
    if raw.isdigit():
        pipeline = Pipeline.objects.filter(pk=int(raw)).first()
        if pipeline is None:
            raise Http404
        return pipeline
    return pipeline_default()


@login_required
def opportunity_board(request):
    """Show a pipeline's deals as columns by stage, with totals, filters and drag and drop."""
    require(request.user, "opportunity", Action.VIEW)
    pipeline = _pipeline_from(request)
    columns = queries.board(request.user, pipeline, request.GET)
    filters = {key: request.GET.get(key, "") for key in FILTER_KEYS}
    return render(
        request,
        "sales/opportunity/board.html",
        {
            "pipeline": pipeline,
            "pipelines": Pipeline.objects.filter(is_active=True),
            "columns": columns,
            "stages": [column.stage for column in columns],
            "stage_menu": stage_menu(column.stage for column in columns),
            "filters": filters,
            "filter_query": "&".join(f"{k}={v}" for k, v in filters.items() if v),
            "users": User.objects.filter(is_active=True).order_by("username"),
            "teams": Team.objects.order_by("name"),
            "periods": CLOSE_PERIODS,
            "close_reasons": CloseReason.choices,
            "can_edit": can(request.user, "opportunity", Action.EDIT),
            "can_create": can(request.user, "opportunity", Action.CREATE),
        },
    )


@login_required
def opportunity_board_more(request):
    """Return the next page of one column's cards."""
    require(request.user, "opportunity", Action.VIEW)
    pipeline = _pipeline_from(request)
    stage = get_object_or_404(Stage, pk=request.GET.get("stage") or 0, pipeline=pipeline)
    raw_offset = request.GET.get("offset", "")
    offset = int(raw_offset) if raw_offset.isdigit() else 0
    deals = queries.board_deals(request.user, pipeline, request.GET)
    by_owner = queries.narrowed_by_owner(request.user, request.GET)
    cards, more = queries.column_cards(deals, stage, offset=offset, by_owner=by_owner)
    filters = {key: request.GET.get(key, "") for key in FILTER_KEYS}
    return render(
        request,
        "sales/opportunity/board_cards.html",
        {
            "pipeline": pipeline,
            "column": queries.Column(stage=stage, cards=cards, more=more),
            "next_offset": offset + len(cards),
            "stage_menu": stage_menu(queries.board_stages(pipeline)),
            "filter_query": "&".join(f"{k}={v}" for k, v in filters.items() if v),
            "can_edit": can(request.user, "opportunity", Action.EDIT),
        },
    )


def stage_menu(stages) -> str:
    """Return the "Move to…" items every card shares; CSS hides the card's own stage."""
    return format_html_join(
        "",
        '<button type="button" class="dropdown-item" data-move-to="{}" data-testid="move-{}">'
        "{}</button>",
        ((stage.pk, stage.pk, stage.name) for stage in stages),
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _totals_json(request, opportunity: Opportunity) -> dict:
    deals = queries.board_deals(request.user, opportunity.pipeline, request.POST)
    totals = queries.board_totals(deals)
    return {
        str(stage.pk): {
            "count": totals.get(stage.pk, {}).get("count", 0),
            "amount": queries.money_text(totals.get(stage.pk, {}).get("amount", 0)),
            "weighted": queries.money_text(totals.get(stage.pk, {}).get("weighted", 0)),
        }
        for stage in queries.board_stages(opportunity.pipeline)
    }


def _refused(request, opportunity, status: int, detail: str, errors=None):
    if _wants_json(request):
        return JsonResponse({"detail": detail, "errors": errors or {}}, status=status)
    messages.error(request, detail)
    return redirect(reverse("web:opportunity_detail", args=[opportunity.pk]))


@login_required
@require_POST
def opportunity_stage_move(request, pk: int):
    """Move a deal to another stage; answer JSON for the board, a redirect for the page."""
    entity = entity_or_404("opportunity")
    opportunity = record_or_404(entity, request.user, pk)
    stage = Stage.objects.filter(pk=request.POST.get("stage") or 0).first()
    if stage is None:
        message = _("Choose a stage.")
        return _refused(request, opportunity, 400, message, {"stage": [message]})
    raw_version = request.POST.get("version", "")
    try:
        opportunity = services.opportunity_move_stage(
            actor=request.user,
            opportunity=opportunity,
            stage=stage,
            version=int(raw_version) if raw_version.isdigit() else None,
            close_reason=request.POST.get("close_reason", ""),
            close_note=request.POST.get("close_note", ""),
        )
    except StaleRecord as error:
        return _refused(request, opportunity, 409, str(error.message))
    except ValidationError as error:
        errors = {key: [str(m) for m in value] for key, value in error.message_dict.items()}
        detail = " ".join(message for value in errors.values() for message in value)
        return _refused(request, opportunity, 400, detail, errors)
    except (PermissionDenied, OutOfScope):
        return _refused(request, opportunity, 403, _("You are not allowed to change this deal."))
    pending = getattr(opportunity, "pending_approval", None)
    if pending is not None:
        detail = _(
            "Moving the deal to “%(stage)s” needs approval; it was sent to “%(process)s”."
        ) % {
            "stage": stage.name,
            "process": pending.process.name,
        }
        if _wants_json(request):
            return JsonResponse(
                {"detail": detail, "approval": pending.pk, "version": opportunity.version},
                status=202,
            )
        messages.info(request, detail)
        return redirect(reverse("web:approval_detail", args=[pending.pk]))
    if _wants_json(request):
        queries.annotate_card(opportunity)
        return JsonResponse(
            {
                "id": opportunity.pk,
                "stage": opportunity.stage_id,
                "version": opportunity.version,
                "probability": opportunity.probability,
                "days_in_stage": opportunity.days_in_stage,
                "totals": _totals_json(request, opportunity),
            }
        )
    messages.success(
        request, _("The deal moved to “%(stage)s”.") % {"stage": opportunity.stage.name}
    )
    return redirect(reverse("web:opportunity_detail", args=[opportunity.pk]))


@login_required
def opportunity_stage_options(request):
    """Return the stage options of a pipeline for the form's stage select (htmx)."""
    raw = request.GET.get("pipeline", "")
    stages = (
        Stage.objects.filter(pipeline_id=int(raw), is_archived=False).order_by("position")
        if raw.isdigit()
        else Stage.objects.none()
    )
    return render(request, "sales/opportunity/stage_options.html", {"stages": stages})


def _editable(request, pk: int) -> Opportunity:
    entity = entity_or_404("opportunity")
    require(request.user, entity.name, Action.EDIT)
    return record_or_404(entity, request.user, pk, Action.EDIT)


def _back(pk: int, tab: str):
    return redirect(reverse("web:opportunity_detail", args=[pk]) + f"?tab={tab}")


def _flash_errors(request, errors) -> None:
    for messages_of in errors.values():
        for message in messages_of:
            messages.error(request, str(message))


@login_required
@require_POST
def opportunity_contact_add(request, pk: int):
    """Add a contact with their role to the deal."""
    opportunity = _editable(request, pk)
    form = ContactRoleForm(request.POST, user=request.user)
    if not form.is_valid():
        _flash_errors(request, form.errors)
        return _back(pk, "contacts")
    services.opportunity_contact_add(
        actor=request.user, opportunity=opportunity, **form.cleaned_data
    )
    messages.success(request, _("The contact was added to the deal."))
    return _back(pk, "contacts")


@login_required
@require_POST
def opportunity_contact_remove(request, pk: int, contact_id: int):
    opportunity = _editable(request, pk)
    try:
        services.opportunity_contact_remove(
            actor=request.user, opportunity=opportunity, contact_id=contact_id
        )
    except OpportunityContact.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The contact was removed from the deal."))
    return _back(pk, "contacts")


@login_required
@require_POST
def opportunity_line_add(request, pk: int):
    """Add a product line to the deal."""
    opportunity = _editable(request, pk)
    form = LineForm(request.POST)
    if not form.is_valid():
        _flash_errors(request, form.errors)
        return _back(pk, "lines")
    services.opportunity_line_save(
        actor=request.user, opportunity=opportunity, values=form.cleaned_data
    )
    messages.success(request, _("The product line was added."))
    return _back(pk, "lines")


@login_required
@require_POST
def opportunity_line_remove(request, pk: int, line_id: int):
    opportunity = _editable(request, pk)
    if not opportunity.lines.filter(pk=line_id).exists():
        raise Http404
    services.opportunity_line_remove(actor=request.user, opportunity=opportunity, line_id=line_id)
    messages.success(request, _("The product line was removed."))
    return _back(pk, "lines")


@login_required
@require_POST
def opportunity_line_total(request, pk: int):
    """Use the sum of the product lines as the deal's amount."""
    opportunity = _editable(request, pk)
    opportunity = services.opportunity_use_line_total(actor=request.user, opportunity=opportunity)
    messages.success(
        request,
        _("The amount is now %(amount)s.")
        % {"amount": format_money(opportunity.amount, opportunity.currency)},
    )
    return _back(pk, "lines")


@login_required
@require_POST
def opportunity_competitor_add(request, pk: int):
    """Put a competitor on the deal."""
    opportunity = _editable(request, pk)
    form = CompetitorForm(request.POST, user=request.user)
    if not form.is_valid():
        _flash_errors(request, form.errors)
        return _back(pk, "competitors")
    try:
        services.opportunity_competitor_save(
            actor=request.user, opportunity=opportunity, **form.cleaned_data
        )
    except ValidationError as error:
        _flash_errors(request, error.message_dict)
        return _back(pk, "competitors")
    messages.success(request, _("The competitor was added to the deal."))
    return _back(pk, "competitors")


@login_required
@require_POST
def opportunity_competitor_remove(request, pk: int, competitor_id: int):
    opportunity = _editable(request, pk)
    try:
        services.opportunity_competitor_remove(
            actor=request.user, opportunity=opportunity, competitor_id=competitor_id
        )
    except OpportunityCompetitor.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The competitor was removed from the deal."))
    return _back(pk, "competitors")
