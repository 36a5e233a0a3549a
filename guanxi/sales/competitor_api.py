"""REST routes of competitors and partners (SAL-5, SAL-6).

`GET /competitors` (competitor accounts with products and win/loss figures),
`GET /competitors/{id}/analysis` (figures, loss reasons and the deals), competing
products `POST /competitors/{id}/products`, `PATCH|DELETE /competitor-products/{id}`,
`GET /partners/performance`. Periods are `start`/`end` dates; `owner`, `department`
narrow the deals counted, always inside what the user may see.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from guanxi.api.errors import ApiError, invalid
from guanxi.api.generic import MAX_LIMIT, get_record
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.sales import competitor_queries, competitor_services, partner_queries
from guanxi.sales.calllist_forms import CompetitorProductForm
from guanxi.sales.competitor_period import ReportInputError, ReportScope, report_scope
from guanxi.sales.models import CompetitorProduct

router = Router(tags=["Competitors and partners"])


class ScopeParams(Schema):
    start: date | None = None
    end: date | None = None
    owner: int | None = None
    department: int | None = None
    limit: int = 50
    offset: int = 0


class ProductIn(Schema):
    name: str
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: str = "CNY"
    strengths: str = ""
    weaknesses: str = ""
    notes: str = ""
    counter_arguments: str = ""


class ProductPatch(Schema):
    name: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: str | None = None
    strengths: str | None = None
    weaknesses: str | None = None
    notes: str | None = None
    counter_arguments: str | None = None


class ProductOut(Schema):
    id: int
    competitor: int
    name: str
    price_min: Decimal | None
    price_max: Decimal | None
    currency: str
    strengths: str
    weaknesses: str
    notes: str
    counter_arguments: str


class ReasonOut(Schema):
    code: str
    label: str
    count: int


class FiguresOut(Schema):
    faced: int
    won: int
    lost: int
    lost_to_them: int
    open: int
    win_rate: Decimal | None
    amount_won: Decimal
    amount_lost: Decimal
    average_their_price: Decimal | None
    average_our_price: Decimal | None
    loss_reasons: list[ReasonOut]


class CompetitorOut(Schema):
    id: int
    name: str
    products: list[ProductOut]
    figures: FiguresOut


class CompetitorList(Schema):
    count: int
    items: list[CompetitorOut]


class DealOut(Schema):
    id: int
    number: str
    name: str
    account: int
    stage: str
    is_won: bool
    is_lost: bool
    amount: Decimal
    currency: str
    their_price: Decimal | None
    they_won: bool
    close_reason: str
    owner: int | None


class AnalysisOut(Schema):
    id: int
    name: str
    start: date | None
    end: date | None
    figures: FiguresOut
    deals: list[DealOut]


class PartnerOut(Schema):
    id: int
    name: str
    account_type: str
    leads: int
    converted: int
    conversion_rate: Decimal | None
    deals: int
    won: int
    lost: int
    won_amount: Decimal
    win_rate: Decimal | None
    open_deals: int
    pipeline_amount: Decimal


class PartnerList(Schema):
    count: int
    start: date | None
    end: date | None
    items: list[PartnerOut]


def scope_of(params: ScopeParams) -> ReportScope:
    try:
        return report_scope(params.dict())
    except ReportInputError as error:
        raise ApiError(400, _("The data is not valid."), error.errors) from None


def _figures(item: competitor_queries.CompetitorFigures) -> dict:
    return {
        **{key: getattr(item, key) for key in FiguresOut.model_fields if key != "win_rate"},
        "win_rate": item.win_rate,
    }


def _product_out(product: CompetitorProduct) -> dict:
    data = {key: getattr(product, key) for key in ProductOut.model_fields if key != "competitor"}
    return {**data, "competitor": product.competitor_id}


def _page(params: ScopeParams) -> slice:
    limit = max(0, min(params.limit, MAX_LIMIT))
    return slice(max(0, params.offset), max(0, params.offset) + limit)


@router.get("/competitors", response=CompetitorList)
def competitor_list(request, params: Query[ScopeParams]):
    """List the competitor accounts the user may see with their products and figures."""
    require(request.auth, "account", Action.VIEW)
    scope = scope_of(params)
    accounts = competitor_queries.competitor_accounts(request.auth)
    count = accounts.count()
    page = accounts[_page(params)]
    rows = competitor_queries.competitor_analysis(request.auth, scope, competitors=page)
    products = competitor_queries.products_by_competitor(row.competitor_id for row in rows)
    by_id = {row.competitor_id: row for row in rows}
    items = [
        {
            "id": pk,
            "name": by_id[pk].name,
            "products": [_product_out(p) for p in products.get(pk, [])],
            "figures": _figures(by_id[pk]),
        }
        for pk in page.values_list("pk", flat=True)
        if pk in by_id
    ]
    return {"count": count, "items": items}


@router.get("/competitors/{pk}/analysis", response=AnalysisOut)
def competitor_analysis(request, pk: int, params: Query[ScopeParams], outcome: str = ""):
    """Return one competitor's figures over the period and the deals behind them."""
    require(request.auth, "account", Action.VIEW)
    scope = scope_of(params)
    competitor = competitor_queries.competitor_accounts(request.auth).filter(pk=pk).first()
    if competitor is None:
        raise ApiError(404, _("Not found."))
    figures = competitor_queries.competitor_analysis(
        request.auth,
        scope,
        competitors=competitor_queries.competitor_accounts(request.auth).filter(pk=pk),
    )[0]
    rows = competitor_queries.competitor_deals(request.auth, scope, competitor, outcome)
    deals = [
        {
            "id": row.opportunity.pk,
            "number": row.opportunity.number,
            "name": row.opportunity.name,
            "account": row.opportunity.account_id,
            "stage": row.opportunity.stage.name,
            "is_won": row.opportunity.stage.is_won,
            "is_lost": row.opportunity.stage.is_lost,
            "amount": row.opportunity.amount,
            "currency": row.opportunity.currency,
            "their_price": row.price,
            "they_won": row.is_winner,
            "close_reason": row.opportunity.close_reason,
            "owner": row.opportunity.owner_id,
        }
        for row in rows[_page(params)]
    ]
    return {
        "id": competitor.pk,
        "name": competitor.name,
        "start": scope.start,
        "end": scope.end,
        "figures": _figures(figures),
        "deals": deals,
    }


def _save_product(request, competitor, data: dict, product=None) -> CompetitorProduct:
    form = CompetitorProductForm(data, instance=product)
    if not form.is_valid():
        raise invalid(form)
    try:
        return competitor_services.competitor_product_save(
            actor=request.auth, competitor=competitor, form=form
        )
    except ValidationError as error:
        raise ApiError(400, _("The data is not valid."), error.message_dict) from None


@router.post("/competitors/{pk}/products", response={201: ProductOut})
def competitor_product_create(request, pk: int, payload: ProductIn):
    """Add a competing product to a competitor account the user may edit."""
    competitor = get_record(registry.get("account"), request.auth, pk, Action.EDIT)
    product = _save_product(request, competitor, payload.dict())
    return Status(201, _product_out(product))


def _product(request, pk: int) -> CompetitorProduct:
    product = CompetitorProduct.objects.select_related("competitor").filter(pk=pk).first()
    if product is None:
        raise ApiError(404, _("Not found."))
    get_record(registry.get("account"), request.auth, product.competitor_id, Action.EDIT)
    return product


@router.patch("/competitor-products/{pk}", response=ProductOut)
def competitor_product_update(request, pk: int, payload: ProductPatch):
    product = _product(request, pk)
    current = {key: getattr(product, key) for key in ProductIn.model_fields}
    current.update(payload.dict(exclude_unset=True))
    return _product_out(_save_product(request, product.competitor, current, product))


@router.delete("/competitor-products/{pk}", response={204: None})
def competitor_product_delete(request, pk: int):
    product = _product(request, pk)
    competitor_services.competitor_product_delete(actor=request.auth, product=product)
    return Status(204, None)


@router.get("/partners/performance", response=PartnerList)
def partner_performance(request, params: Query[ScopeParams]):
    """Return per partner the leads registered and converted, deals, wins and pipeline."""
    require(request.auth, "account", Action.VIEW)
    scope = scope_of(params)
    rows = partner_queries.partner_performance(request.auth, scope)
    items = [
        {
            "id": row.partner_id,
            **{key: getattr(row, key) for key in PartnerOut.model_fields if key != "id"},
        }
        for row in rows[_page(params)]
    ]
    return {"count": len(rows), "start": scope.start, "end": scope.end, "items": items}
