"""API of the funnel, the forecast, adjustments and sales targets."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.core.models import Department, Team, User
from guanxi.sales import forecast_params, forecast_scope, forecast_services
from guanxi.sales.forecast_periods import BadPeriod, parse_period, period_of
from guanxi.sales.forecast_rollup import Forecast, ForecastRow
from guanxi.sales.funnel_queries import DRILL_DOWN_LIMIT, funnel_for, funnel_stage_deals
from guanxi.sales.models import Target
from guanxi.sales.target_queries import target_list

router = Router(tags=["Forecast"])
MAX_LIMIT = 500


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, _("The data is not valid."), {field: [message]})


def require_deals(user) -> None:
    if forecast_scope.deal_scope(user) is None:
        raise PermissionDenied


class FunnelStageOut(Schema):
    stage: int
    name: str
    is_won: bool
    count: int
    amount: Decimal
    other_amounts: dict[str, Decimal]
    conversion_percent: Decimal | None
    average_days: Decimal | None


class FunnelOut(Schema):
    pipeline: int
    start: datetime.date
    end: datetime.date
    basis: str
    scope: str
    currency: str
    total: int
    won: int
    lost: int
    lost_amount: Decimal
    win_rate_percent: Decimal | None
    stages: list[FunnelStageOut]


class DealOut(Schema):
    id: int
    number: str
    name: str
    account: str
    owner: str
    stage: str
    amount: Decimal
    currency: str
    expected_close: datetime.date | None


class DealList(Schema):
    count: int
    items: list[DealOut]


def _funnel_query(request):
    require_deals(request.auth)
    try:
        return forecast_params.funnel_query(request.GET)
    except forecast_params.BadParameter as error:
        raise invalid(error.field, error.message) from None


@router.get("/sales/funnel", response=FunnelOut, operation_id="sales_funnel")
def sales_funnel(request):
    """The funnel of a pipeline for a period, within the caller's data scope.

    Parameters: `start`, `end` (YYYY-MM-DD, default this year), `basis` (`created` or
    `close`: expected close), `pipeline` (default: the default pipeline), `scope` (`me`,
    `team` with `team`, `department` with `department` = that department and below, `all`).
    A stage's count is the deals that entered it or a later stage; amounts add up the
    default currency, `other_amounts` the others per currency.
    """
    query = _funnel_query(request)
    funnel = funnel_for(request.auth, query)
    return {
        "pipeline": query.pipeline.pk,
        "start": query.start,
        "end": query.end,
        "basis": query.basis,
        "scope": query.scope,
        "currency": funnel.currency,
        "total": funnel.total,
        "won": funnel.won,
        "lost": funnel.lost,
        "lost_amount": funnel.lost_amount,
        "win_rate_percent": funnel.win_rate,
        "stages": [
            {
                "stage": item.stage.pk,
                "name": item.stage.name,
                "is_won": item.stage.is_won,
                "count": item.count,
                "amount": item.amount,
                "other_amounts": item.other_amounts,
                "conversion_percent": item.conversion,
                "average_days": item.average_days,
            }
            for item in funnel.stages
        ],
    }


def deal_out(deal) -> dict:
    return {
        "id": deal.pk,
        "number": deal.number,
        "name": deal.name,
        "account": str(deal.account),
        "owner": str(deal.owner.get_full_name() or deal.owner) if deal.owner else "",
        "stage": deal.stage.name,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close": deal.expected_close,
    }


@router.get("/sales/funnel/deals", response=DealList, operation_id="sales_funnel_deals")
def sales_funnel_deals(request, stage: int, limit: int = 50, offset: int = 0):
    """The deals behind one funnel bar (same parameters as the funnel, plus `stage`)."""
    query = _funnel_query(request)
    chosen = forecast_params.funnel_stage(query, stage)
    deals = funnel_stage_deals(request.auth, query, chosen)
    limit = max(1, min(limit, DRILL_DOWN_LIMIT))
    offset = max(0, offset)
    return {"count": deals.count(), "items": [deal_out(d) for d in deals[offset : offset + limit]]}


class OverrideOut(Schema):
    id: int
    figure: str
    old_amount: Decimal
    new_amount: Decimal
    comment: str
    created_at: datetime.datetime
    created_by: str


class ForecastRowOut(Schema):
    key: str
    kind: str
    id: int | None
    name: str
    depth: int
    parent: str
    target: Decimal | None
    target_count: int | None
    won: Decimal
    won_count: int
    weighted: Decimal
    best_case: Decimal
    commit: Decimal
    gap: Decimal | None
    attainment_percent: Decimal | None
    adjusted: dict[str, Decimal]
    adjustments: list[OverrideOut]
    can_adjust: bool


class CurrencyFiguresOut(Schema):
    currency: str
    won: Decimal
    weighted: Decimal
    best_case: Decimal
    commit: Decimal


class ForecastOut(Schema):
    period: str
    period_type: str
    start: datetime.date
    end: datetime.date
    currency: str
    rows: list[ForecastRowOut]
    other_currencies: list[CurrencyFiguresOut]
    targets_in_other_currencies: int


def override_out(override) -> dict:
    author = override.created_by
    return {
        "id": override.pk,
        "figure": override.figure,
        "old_amount": override.old_amount,
        "new_amount": override.new_amount,
        "comment": override.comment,
        "created_at": override.created_at,
        "created_by": str(author.get_full_name() or author) if author else "",
    }


def row_out(row: ForecastRow) -> dict:
    figures = row.figures
    return {
        "key": row.key,
        "kind": row.kind,
        "id": row.pk,
        "name": row.name,
        "depth": row.depth,
        "parent": row.parent_key,
        "target": row.target,
        "target_count": row.target_count,
        "won": figures.won,
        "won_count": figures.won_count,
        "weighted": figures.weighted,
        "best_case": figures.best_case,
        "commit": figures.commit,
        "gap": row.gap,
        "attainment_percent": row.attainment_percent,
        "adjusted": row.adjusted,
        "adjustments": [override_out(o) for rows in row.history.values() for o in rows],
        "can_adjust": row.manageable and row.kind in ("user", "department"),
    }


def forecast_out(forecast: Forecast) -> dict:
    return {
        "period": forecast.period.key,
        "period_type": forecast.period.type,
        "start": forecast.period.start,
        "end": forecast.period.last_day,
        "currency": forecast.currency,
        "rows": [row_out(row) for row in forecast.rows],
        "other_currencies": [
            {
                "currency": code,
                **{k: getattr(f, k) for k in ("won", "weighted", "best_case", "commit")},
            }
            for code, f in forecast.other_currencies.items()
        ],
        "targets_in_other_currencies": forecast.skipped_targets,
    }


def build_forecast(user, params) -> Forecast:
    """Return the forecast GET parameters ask for; raise ApiError or Http404."""
    require_deals(user)
    try:
        return forecast_params.forecast_from(user, params)
    except forecast_params.BadParameter as error:
        raise invalid(error.field, error.message) from None


@router.get("/sales/forecast", response=ForecastOut, operation_id="sales_forecast")
def sales_forecast(request):
    """The forecast of a period rolled up down the department tree (or for a team).

    Parameters: `period` (`2026`, `2026-Q4` or `2026-11`; default this quarter), and either
    `department` (that department and below) or `team`; without them, every department
    the caller may see. Rows are in tree order; `parent` is the key of the parent row.
    """
    return forecast_out(build_forecast(request.auth, request.GET))


class OverrideIn(Schema):
    period: str
    figure: str = "commit"
    new_amount: Decimal
    comment: str
    user: int | None = None
    department: int | None = None


def _subject(model, pk: int | None, field: str):
    if pk is None:
        return None
    found = (
        model.objects.filter(pk=pk)
        .select_related(*(["department"] if model is not Department else []))
        .first()
    )
    if found is None:
        raise invalid(field, _("Not found."))
    return found


@router.post(
    "/sales/forecast/adjustments", response={201: OverrideOut}, operation_id="sales_forecast_adjust"
)
def sales_forecast_adjust(request, payload: OverrideIn):
    """Adjust a person's or department's commit, best case or weighted figure for a period.

    Only the manager of a department above the subject (or an administrator) may; the
    computed value is kept as `old_amount` and every adjustment stays in the history.
    """
    require_deals(request.auth)
    try:
        period = parse_period(payload.period)
    except BadPeriod as error:
        raise invalid("period", str(error)) from None
    try:
        override = forecast_services.forecast_override(
            actor=request.auth,
            period=period,
            figure=payload.figure,
            new_amount=payload.new_amount,
            comment=payload.comment,
            user=_subject(User, payload.user, "user"),
            department=_subject(Department, payload.department, "department"),
        )
    except forecast_services.InvalidValue as error:
        raise invalid(error.field, error.message) from None
    return Status(201, override_out(override))


class TargetIn(Schema):
    period_type: str
    period_start: datetime.date
    amount: Decimal
    count: int | None = None
    currency: str = ""
    user: int | None = None
    team: int | None = None
    department: int | None = None


class TargetPatch(Schema):
    amount: Decimal | None = None
    count: int | None = None


class TargetOut(Schema):
    id: int
    user: int | None
    team: int | None
    department: int | None
    subject: str
    period_type: str
    period_start: datetime.date
    amount: Decimal
    count: int | None
    currency: str
    can_edit: bool


class TargetList(Schema):
    count: int
    items: list[TargetOut]


def target_out(target: Target, user) -> dict:
    subject = target.subject
    return {
        "id": target.pk,
        "user": target.user_id,
        "team": target.team_id,
        "department": target.department_id,
        "subject": str(subject.get_full_name() or subject) if target.user_id else str(subject),
        "period_type": target.period_type,
        "period_start": target.period_start,
        "amount": target.amount,
        "count": target.count,
        "currency": target.currency,
        "can_edit": _can_edit(user, target),
    }


def _can_edit(user, target: Target) -> bool:
    try:
        forecast_services.ensure_can_manage(
            user, user=target.user, team=target.team, department=target.department
        )
    except PermissionDenied:
        return False
    return True


@router.get("/targets", response=TargetList, operation_id="targets_list")
def targets_list(
    request,
    year: int | None = None,
    period_type: str = "",
    user: int | None = None,
    team: int | None = None,
    department: int | None = None,
    limit: int = 100,
    offset: int = 0,
):
    """Sales targets the caller may read: their own, and those of the people they see."""
    targets = target_list(
        request.auth,
        year=year,
        period_type=period_type,
        user=user,
        team=team,
        department=department,
    )
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    items = [target_out(t, request.auth) for t in targets[offset : offset + limit]]
    return {"count": targets.count(), "items": items}


def _target(request, pk: int) -> Target:
    target = target_list(request.auth).filter(pk=pk).first()
    if target is None:
        raise Http404
    return target


@router.get("/targets/{int:pk}", response=TargetOut, operation_id="targets_get")
def targets_get(request, pk: int):
    """One sales target."""
    return target_out(_target(request, pk), request.auth)


def _save_target(request, payload: TargetIn) -> Target:
    try:
        period = period_of(payload.period_type, payload.period_start)
    except BadPeriod as error:
        raise invalid("period_start", str(error)) from None
    if payload.currency and payload.currency not in dict(
        Target._meta.get_field("currency").choices
    ):
        raise invalid("currency", _("Choose a valid currency."))
    try:
        return forecast_services.target_set(
            actor=request.auth,
            period=period,
            amount=payload.amount,
            count=payload.count,
            currency=payload.currency,
            user=_subject(User, payload.user, "user"),
            team=_subject(Team, payload.team, "team"),
            department=_subject(Department, payload.department, "department"),
        )
    except forecast_services.InvalidValue as error:
        raise invalid(error.field, error.message) from None
    except IntegrityError:
        raise invalid("__all__", _("The data is not valid.")) from None


@router.post("/targets", response={201: TargetOut}, operation_id="targets_create")
def targets_create(request, payload: TargetIn):
    """Set the target of a person, team or department for a month, quarter or year.

    A second call for the same subject and period changes the amount. Only the manager
    of a department above the subject (or an administrator) may set it.
    """
    return Status(201, target_out(_save_target(request, payload), request.auth))


@router.patch("/targets/{int:pk}", response=TargetOut, operation_id="targets_update")
def targets_update(request, pk: int, payload: TargetPatch):
    """Change a target's amount or number of deals."""
    target = _target(request, pk)
    amount = target.amount if payload.amount is None else payload.amount
    count = target.count if "count" not in payload.model_fields_set else payload.count
    try:
        saved = forecast_services.target_set(
            actor=request.auth,
            period=period_of(target.period_type, target.period_start),
            amount=amount,
            count=count,
            currency=target.currency,
            user=target.user,
            team=target.team,
            department=target.department,
        )
    except forecast_services.InvalidValue as error:
        raise invalid(error.field, error.message) from None
    return target_out(saved, request.auth)


@router.delete("/targets/{int:pk}", response={204: None}, operation_id="targets_delete")
def targets_delete(request, pk: int):
    """Remove a target."""
    forecast_services.target_delete(actor=request.auth, target=_target(request, pk))
    return Status(204, None)
