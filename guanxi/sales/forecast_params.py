"""Read the funnel's and forecast's parameters from a request, for the screens and the API."""

from __future__ import annotations

import datetime

from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from guanxi.core.models import Department, Team
from guanxi.sales.forecast_choices import FunnelBasis, FunnelScope
from guanxi.sales.funnel_queries import FunnelQuery
from guanxi.sales.models import Pipeline, Stage


class BadParameter(ValueError):
    """Raised for a parameter that cannot be read; names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _day(value: str | None, field: str, default: datetime.date) -> datetime.date:
    if not value:
        return default
    try:
        day = parse_date(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise BadParameter(field, _("Give a date as YYYY-MM-DD."))
    return day


def _pk(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()


def funnel_query(params) -> FunnelQuery:
    """Build a funnel query from GET parameters; raise BadParameter on a bad one."""
    today = timezone.localdate()
    start = _day(params.get("start"), "start", datetime.date(today.year, 1, 1))
    end = _day(params.get("end"), "end", datetime.date(today.year, 12, 31))
    if end < start:
        raise BadParameter("end", _("The end must not be before the start."))
    if (end - start).days > 3 * 366:
        raise BadParameter("end", _("Ask for at most three years at a time."))
    basis = params.get("basis") or FunnelBasis.CREATED
    if basis not in FunnelBasis.values:
        raise BadParameter("basis", _("Choose created or close."))
    scope = params.get("scope") or FunnelScope.ALL
    if scope not in FunnelScope.values:
        raise BadParameter("scope", _("Choose me, team, department or all."))
    pipeline_pk = _pk(params.get("pipeline"))
    pipeline = (
        Pipeline.objects.filter(pk=pipeline_pk).first() if pipeline_pk else default_pipeline()
    )
    if pipeline is None:
        raise BadParameter("pipeline", _("Choose a pipeline."))
    query = FunnelQuery(pipeline=pipeline, start=start, end=end, basis=basis, scope=scope)
    if scope == FunnelScope.TEAM:
        query.team = Team.objects.filter(pk=_pk(params.get("team")) or 0).first()
        if query.team is None:
            raise BadParameter("team", _("Choose a team."))
    if scope == FunnelScope.DEPARTMENT:
        query.department = Department.objects.filter(pk=_pk(params.get("department")) or 0).first()
        if query.department is None:
            raise BadParameter("department", _("Choose a department."))
    return query


def funnel_stage(query: FunnelQuery, value) -> Stage:
    stage = Stage.objects.filter(pipeline=query.pipeline, pk=_pk(value) or 0).first()
    if stage is None:
        raise Http404
    return stage


def forecast_from(user, params):
    """Return the forecast that GET parameters ask for; raise BadParameter or Http404."""
    from guanxi.sales.forecast_periods import BadPeriod, current_period, parse_period
    from guanxi.sales.forecast_rollup import (
        NotVisible,
        forecast_for_departments,
        forecast_for_team,
    )

    try:
        period = parse_period(params.get("period") or current_period().key)
    except BadPeriod as error:
        raise BadParameter("period", str(error)) from None
    team_pk, department_pk = params.get("team"), params.get("department")
    try:
        if team_pk:
            team = Team.objects.select_related("department").filter(pk=_pk(team_pk) or 0).first()
            if team is None:
                raise Http404
            return forecast_for_team(user, period, team)
        department = None
        if department_pk:
            department = Department.objects.filter(pk=_pk(department_pk) or 0).first()
            if department is None:
                raise Http404
        return forecast_for_departments(user, period, department)
    except NotVisible:
        raise Http404 from None
