"""The forecast screen (销售预测): the rollup by department, and managers' adjustments."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.core.models import Department, Team, User
from guanxi.sales import forecast_params, forecast_scope, forecast_services
from guanxi.sales.forecast_choices import ForecastFigure, PeriodType
from guanxi.sales.forecast_periods import BadPeriod, current_period, parse_period

TABLE = "sales/forecast/partials/forecast_table.html"


def _require_deals(user) -> None:
    if forecast_scope.deal_scope(user) is None:
        raise PermissionDenied


def _link(params, **changes) -> str:
    values = {key: params.get(key) for key in ("period", "department", "team")}
    values.update(changes)
    return f"{reverse('web:forecast')}?{urlencode({k: v for k, v in values.items() if v})}"


def _context(request, params) -> dict:
    forecast = forecast_params.forecast_from(request.user, params)
    period = forecast.period
    departments = Department.objects.all()
    condition = forecast_scope.visible_department_q(request.user)
    if condition is not None:
        departments = departments.filter(condition)
    teams = Team.objects.all()
    if condition is not None and not forecast_scope.is_administrator(request.user):
        teams = teams.filter(members=request.user)
    return {
        "forecast": forecast,
        "period": period,
        "params": params,
        "departments": departments,
        "teams": teams,
        "figures": ForecastFigure.choices,
        "previous_url": _link(params, period=period.shifted(-1).key),
        "next_url": _link(params, period=period.shifted(1).key),
        "period_links": [
            (label, _link(params, period=current_period(kind).key), period.type == kind)
            for kind, label in PeriodType.choices
        ],
        "api_url": reverse("api-1.0.0:sales_forecast"),
    }


@login_required
@require_GET
def forecast_page(request):
    """Show the forecast of a period, rolled up down the department tree or for a team."""
    _require_deals(request.user)
    try:
        context = _context(request, request.GET)
    except forecast_params.BadParameter as error:
        fallback = {"period": current_period().key}
        context = {**_context(request, fallback), "error": error.message}
        return render(request, "sales/forecast/forecast.html", context, status=400)
    return render(request, "sales/forecast/forecast.html", context)


def _subject(value: str):
    kind, _sep, pk = (value or "").partition("-")
    model = {"user": User, "department": Department}.get(kind)
    if model is None or not pk.isdigit():
        raise Http404
    found = model.objects.filter(pk=int(pk)).first()
    if found is None:
        raise Http404
    return {kind: found}


def _adjust(request) -> str | None:
    """Save the posted adjustment; return an error message, or None when saved."""
    try:
        period = parse_period(request.POST.get("period", ""))
        amount = Decimal(request.POST.get("new_amount", "").replace(",", "").strip())
    except BadPeriod as error:
        return str(error)
    except InvalidOperation:
        return _("Give an amount of 0 or more.")
    try:
        forecast_services.forecast_override(
            actor=request.user,
            period=period,
            figure=request.POST.get("figure", ""),
            new_amount=amount,
            comment=request.POST.get("comment", ""),
            **_subject(request.POST.get("subject", "")),
        )
    except forecast_services.InvalidValue as error:
        return error.message
    except PermissionDenied:
        return _("You do not have permission to do this.")
    return None


@login_required
@require_POST
def forecast_adjust(request):
    """Record a manager's adjustment of a forecast figure, then show the forecast again."""
    _require_deals(request.user)
    error = _adjust(request)
    params = {key: request.POST.get(key, "") for key in ("period", "department", "team")}
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("The forecast was adjusted."))
        return redirect(_link(params))
    context = _context(request, params)
    context["error" if error else "notice"] = error or _("The forecast was adjusted.")
    return render(request, TABLE, context)
