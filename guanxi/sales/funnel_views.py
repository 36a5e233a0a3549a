"""The funnel screen (销售漏斗): chart, table and the deals behind each bar."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from guanxi.core.models import Department, Team
from guanxi.sales import forecast_params, forecast_scope
from guanxi.sales.forecast_choices import FunnelBasis, FunnelScope
from guanxi.sales.funnel_queries import (
    DRILL_DOWN_LIMIT,
    funnel_for,
    funnel_stage_deals,
    other_currency_totals,
)
from guanxi.sales.models import Pipeline


def _require_deals(user) -> None:
    if forecast_scope.deal_scope(user) is None:
        raise PermissionDenied


def _choices(user) -> dict:
    departments = Department.objects.all()
    condition = forecast_scope.visible_department_q(user)
    if condition is not None:
        departments = departments.filter(condition)
    teams = Team.objects.all()
    if not forecast_scope.is_administrator(user) and condition is not None:
        teams = teams.filter(members=user)
    return {
        "pipelines": Pipeline.objects.filter(is_active=True),
        "departments": departments,
        "teams": teams,
        "bases": FunnelBasis.choices,
        "scopes": FunnelScope.choices,
    }


@login_required
@require_GET
def funnel_page(request):
    """Show the funnel of a pipeline for a period and scope, as a chart and a table."""
    _require_deals(request.user)
    context = {"params": request.GET, **_choices(request.user)}
    try:
        query = forecast_params.funnel_query(request.GET)
    except forecast_params.BadParameter as error:
        context["error"] = error.message
        return render(request, "sales/forecast/funnel.html", context, status=400)
    funnel = funnel_for(request.user, query)
    chart = [
        {"name": item.stage.name, "value": item.count, "stage": item.stage.pk}
        for item in funnel.stages
    ]
    context.update(
        {
            "query": query,
            "funnel": funnel,
            "other_totals": other_currency_totals(funnel),
            "chart": json.dumps(chart, ensure_ascii=False),
            "lost_stage": query.pipeline.stages.filter(is_lost=True).first(),
            "deals_url": reverse("web:funnel_deals"),
            "api_url": reverse("api-1.0.0:sales_funnel"),
        }
    )
    return render(request, "sales/forecast/funnel.html", context)


@login_required
@require_GET
def funnel_deals(request):
    """Show the deals behind one bar of the funnel (an htmx partial)."""
    _require_deals(request.user)
    try:
        query = forecast_params.funnel_query(request.GET)
    except forecast_params.BadParameter as error:
        return render(
            request,
            "sales/forecast/partials/funnel_deals.html",
            {"error": error.message},
            status=400,
        )
    stage = forecast_params.funnel_stage(query, request.GET.get("stage"))
    deals = funnel_stage_deals(request.user, query, stage)
    shown = list(deals[:DRILL_DOWN_LIMIT])
    return render(
        request,
        "sales/forecast/partials/funnel_deals.html",
        {"stage": stage, "deals": shown, "more": len(shown) == DRILL_DOWN_LIMIT},
    )
