"""REST routes of opportunities beyond the generic ones.

`POST /opportunities/{id}/stage` moves a deal (409 when stale, 400 with `errors` when a
required field is empty); `GET /opportunities/board?pipeline=` returns the board's columns
with totals and first cards; `/opportunities/{id}/contacts|lines|competitors` read and
change what hangs off a deal; `/opportunities/{id}/stage-changes` is its stage history.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.api.generic import get_record
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.core.services import StaleRecord
from guanxi.customers.models import Account, Contact
from guanxi.sales import opportunity_queries as queries
from guanxi.sales import opportunity_services as services
from guanxi.sales.models import (
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    Pipeline,
    Stage,
)
from guanxi.sales.opportunity_entities import OPPORTUNITY
from guanxi.sales.pipeline_services import pipeline_default

router = Router(tags=["Opportunities"])


class StageMoveIn(Schema):
    stage: int
    version: int | None = None
    close_reason: str = ""
    close_note: str = ""


class StageMoveOut(Schema):
    id: int
    stage: int
    version: int
    probability: int
    closed_at: datetime.datetime | None
    close_reason: str
    # Set (with status 202) when the move waits for an approval instead of happening now.
    approval: int | None = None


class CardOut(Schema):
    id: int
    number: str
    name: str
    account: int
    account_name: str
    amount: Decimal
    currency: str
    probability: int
    owner: int | None
    owner_name: str
    expected_close: datetime.date | None
    days_in_stage: int
    is_rotting: bool
    version: int


class ColumnOut(Schema):
    stage: int
    name: str
    is_won: bool
    is_lost: bool
    count: int
    amount: Decimal
    weighted_amount: Decimal
    cards: list[CardOut]
    more: bool


class BoardOut(Schema):
    pipeline: int
    columns: list[ColumnOut]


class BoardParams(Schema):
    pipeline: int | None = None
    owner: str | None = None
    team: int | None = None
    close: str | None = None
    limit: int = 20


class ContactRoleIn(Schema):
    contact: int
    role: str = ""
    is_primary: bool = False


class ContactRoleOut(Schema):
    contact: int
    name: str
    role: str
    is_primary: bool


class LineIn(Schema):
    product_name: str
    quantity: Decimal = Decimal("1")
    unit_price: Decimal = Decimal("0")
    discount_percent: Decimal = Decimal("0")


class LineOut(LineIn):
    id: int
    position: int
    total: Decimal


class CompetitorIn(Schema):
    competitor: int
    price: Decimal | None = None
    strengths: str = ""
    weaknesses: str = ""
    is_winner: bool = False


class CompetitorOut(CompetitorIn):
    name: str


class StageChangeOut(Schema):
    id: int
    from_stage: int | None
    to_stage: int
    changed_at: datetime.datetime
    changed_by: int | None
    seconds_in_previous: int
    amount: Decimal


def _invalid(error: ValidationError) -> ApiError:
    errors = {key: [str(m) for m in value] for key, value in error.message_dict.items()}
    detail = " ".join(message for messages in errors.values() for message in messages)
    return ApiError(400, detail or _("The data is not valid."), errors)


def _editable(request, pk: int) -> Opportunity:
    require(request.auth, "opportunity", Action.EDIT)
    return get_record(OPPORTUNITY, request.auth, pk, Action.EDIT)


@router.post(
    "/opportunities/{int:pk}/stage",
    response={200: StageMoveOut, 202: StageMoveOut},
    operation_id="opportunities_stage",
)
def opportunity_stage(request, pk: int, payload: StageMoveIn):
    """Move a deal to another stage of its pipeline (202 when the move waits for approval)."""
    opportunity = _editable(request, pk)
    stage = Stage.objects.filter(pk=payload.stage).first()
    if stage is None:
        raise ApiError(400, _("The data is not valid."), {"stage": [_("There is no such stage.")]})
    try:
        moved = services.opportunity_move_stage(
            actor=request.auth,
            opportunity=opportunity,
            stage=stage,
            version=payload.version,
            close_reason=payload.close_reason,
            close_note=payload.close_note,
        )
    except StaleRecord as error:
        raise ApiError(409, str(error.message)) from None
    except ValidationError as error:
        raise _invalid(error) from None
    out = {
        "id": moved.pk,
        "stage": moved.stage_id,
        "version": moved.version,
        "probability": moved.probability,
        "closed_at": moved.closed_at,
        "close_reason": moved.close_reason,
    }
    pending = getattr(moved, "pending_approval", None)
    if pending is not None:
        return Status(202, {**out, "approval": pending.pk})
    return out


def _card(deal: Opportunity) -> dict:
    return {
        "id": deal.pk,
        "number": deal.number,
        "name": deal.name,
        "account": deal.account_id,
        "account_name": deal.account.name,
        "amount": deal.amount,
        "currency": deal.currency,
        "probability": deal.probability,
        "owner": deal.owner_id,
        "owner_name": str(deal.owner or ""),
        "expected_close": deal.expected_close,
        "days_in_stage": deal.days_in_stage,
        "is_rotting": deal.is_rotting,
        "version": deal.version,
    }


@router.get("/opportunities/board", response=BoardOut, operation_id="opportunities_board")
def opportunity_board(request, params: Query[BoardParams]):
    """Return a pipeline's board: every stage's count, amount and weighted amount, and its
    biggest deals first (`limit` cards a column, at most 100)."""
    require(request.auth, "opportunity", Action.VIEW)
    if params.pipeline is None:
        pipeline = pipeline_default()
    else:
        pipeline = Pipeline.objects.filter(pk=params.pipeline).first()
        if pipeline is None:
            raise ApiError(404, _("Not found."))
    filters = {"owner": params.owner or "", "team": str(params.team or ""), "close": params.close}
    columns = queries.board(
        request.auth, pipeline, filters, per_column=max(1, min(params.limit, 100))
    )
    return {
        "pipeline": pipeline.pk,
        "columns": [
            {
                "stage": column.stage.pk,
                "name": column.stage.name,
                "is_won": column.stage.is_won,
                "is_lost": column.stage.is_lost,
                "count": column.count,
                "amount": column.amount,
                "weighted_amount": column.weighted,
                "cards": [_card(deal) for deal in column.cards],
                "more": column.more,
            }
            for column in columns
        ],
    }


def _contacts(opportunity: Opportunity) -> list[dict]:
    links = opportunity.contact_roles.select_related("contact").order_by("-is_primary", "id")
    return [
        {
            "contact": link.contact_id,
            "name": link.contact.name,
            "role": link.role,
            "is_primary": link.is_primary,
        }
        for link in links
    ]


def _visible_choice(queryset, pk: int, field: str, message: str):
    """Return the chosen record if the user sees it; otherwise a 400 naming the field."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ApiError(400, _("The data is not valid."), {field: [message]})
    return found


@router.get(
    "/opportunities/{int:pk}/contacts",
    response=list[ContactRoleOut],
    operation_id="opportunities_contacts",
)
def opportunity_contacts(request, pk: int):
    require(request.auth, "opportunity", Action.VIEW)
    return _contacts(get_record(OPPORTUNITY, request.auth, pk))


@router.post(
    "/opportunities/{int:pk}/contacts",
    response=list[ContactRoleOut],
    operation_id="opportunities_contacts_add",
)
def opportunity_contacts_add(request, pk: int, payload: ContactRoleIn):
    """Add a contact with a role to the deal (or change their role)."""
    opportunity = _editable(request, pk)
    contact = _visible_choice(
        Contact.objects.visible_to(request.auth, Action.VIEW),
        payload.contact,
        "contact",
        _("There is no such contact."),
    )
    try:
        services.opportunity_contact_add(
            actor=request.auth,
            opportunity=opportunity,
            contact=contact,
            role=payload.role,
            is_primary=payload.is_primary,
        )
    except ValidationError as error:
        raise _invalid(error) from None
    return _contacts(opportunity)


@router.delete(
    "/opportunities/{int:pk}/contacts/{int:contact_id}",
    response={204: None},
    operation_id="opportunities_contacts_remove",
)
def opportunity_contacts_remove(request, pk: int, contact_id: int):
    opportunity = _editable(request, pk)
    try:
        services.opportunity_contact_remove(
            actor=request.auth, opportunity=opportunity, contact_id=contact_id
        )
    except OpportunityContact.DoesNotExist:
        raise ApiError(404, _("Not found.")) from None
    return Status(204, None)


def _lines(opportunity: Opportunity) -> list[dict]:
    return [
        {
            "id": line.pk,
            "position": line.position,
            "product_name": line.product_name,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "total": line.total,
        }
        for line in opportunity.lines.all()
    ]


@router.get(
    "/opportunities/{int:pk}/lines", response=list[LineOut], operation_id="opportunities_lines"
)
def opportunity_lines(request, pk: int):
    require(request.auth, "opportunity", Action.VIEW)
    return _lines(get_record(OPPORTUNITY, request.auth, pk))


@router.post(
    "/opportunities/{int:pk}/lines",
    response={201: list[LineOut]},
    operation_id="opportunities_lines_add",
)
def opportunity_lines_add(request, pk: int, payload: LineIn, use_as_amount: bool = False):
    """Add a product line; with `use_as_amount` the deal's amount becomes the lines' total."""
    opportunity = _editable(request, pk)
    try:
        services.opportunity_line_save(
            actor=request.auth, opportunity=opportunity, values=payload.dict()
        )
    except ValidationError as error:
        raise _invalid(error) from None
    if use_as_amount:
        services.opportunity_use_line_total(actor=request.auth, opportunity=opportunity)
    return Status(201, _lines(opportunity))


@router.delete(
    "/opportunities/{int:pk}/lines/{int:line_id}",
    response={204: None},
    operation_id="opportunities_lines_remove",
)
def opportunity_lines_remove(request, pk: int, line_id: int):
    opportunity = _editable(request, pk)
    if not opportunity.lines.filter(pk=line_id).exists():
        raise ApiError(404, _("Not found."))
    services.opportunity_line_remove(actor=request.auth, opportunity=opportunity, line_id=line_id)
    return Status(204, None)


def _competitors(opportunity: Opportunity) -> list[dict]:
    return [
        {
            "competitor": link.competitor_id,
            "name": link.competitor.name,
            "price": link.price,
            "strengths": link.strengths,
            "weaknesses": link.weaknesses,
            "is_winner": link.is_winner,
        }
        for link in opportunity.competitors.select_related("competitor").order_by("id")
    ]


@router.get(
    "/opportunities/{int:pk}/competitors",
    response=list[CompetitorOut],
    operation_id="opportunities_competitors",
)
def opportunity_competitors(request, pk: int):
    require(request.auth, "opportunity", Action.VIEW)
    return _competitors(get_record(OPPORTUNITY, request.auth, pk))


@router.post(
    "/opportunities/{int:pk}/competitors",
    response=list[CompetitorOut],
    operation_id="opportunities_competitors_add",
)
def opportunity_competitors_add(request, pk: int, payload: CompetitorIn):
    """Put a competitor (a customer of type competitor) on the deal."""
    opportunity = _editable(request, pk)
    competitor = _visible_choice(
        Account.objects.visible_to(request.auth, Action.VIEW),
        payload.competitor,
        "competitor",
        _("There is no such customer."),
    )
    values = payload.dict()
    values.pop("competitor")
    try:
        services.opportunity_competitor_save(
            actor=request.auth, opportunity=opportunity, competitor=competitor, **values
        )
    except ValidationError as error:
        raise _invalid(error) from None
    return _competitors(opportunity)


@router.delete(
    "/opportunities/{int:pk}/competitors/{int:competitor_id}",
    response={204: None},
    operation_id="opportunities_competitors_remove",
)
def opportunity_competitors_remove(request, pk: int, competitor_id: int):
    opportunity = _editable(request, pk)
    try:
        services.opportunity_competitor_remove(
            actor=request.auth, opportunity=opportunity, competitor_id=competitor_id
        )
    except OpportunityCompetitor.DoesNotExist:
        raise ApiError(404, _("Not found.")) from None
    return Status(204, None)


@router.get(
    "/opportunities/{int:pk}/stage-changes",
    response=list[StageChangeOut],
    operation_id="opportunities_stage_changes",
)
def opportunity_stage_changes(request, pk: int):
    """Return the deal's stage history, oldest first, with the time spent in each stage."""
    require(request.auth, "opportunity", Action.VIEW)
    opportunity = get_record(OPPORTUNITY, request.auth, pk)
    return [
        {
            "id": change.pk,
            "from_stage": change.from_stage_id,
            "to_stage": change.to_stage_id,
            "changed_at": change.changed_at,
            "changed_by": change.changed_by_id,
            "seconds_in_previous": change.seconds_in_previous,
            "amount": change.amount,
        }
        for change in opportunity.stage_changes.order_by("changed_at", "id")
    ]
