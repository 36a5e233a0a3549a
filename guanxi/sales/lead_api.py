"""The lead API beyond the generic CRUD: convert, claim, release, assign, status, settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import create_model

from guanxi.api.errors import ApiError, invalid
from guanxi.api.generic import get_record, shown
from guanxi.api.schemas import out_schema
from guanxi.core.choices import Action
from guanxi.core.models import User
from guanxi.core.permissions import require
from guanxi.sales import lead_capture, lead_conversion, lead_services
from guanxi.sales.lead_entities import LEAD
from guanxi.sales.lead_forms import AssignmentRuleForm, ScoringRuleForm, WebFormForm
from guanxi.sales.models import Lead, LeadAssignmentRule, LeadScoringRule, LeadWebForm

router = Router(tags=["Leads"])
LeadOut = out_schema(LEAD)


class MatchOut(Schema):
    id: int
    name: str
    score: float
    reasons: list[str]


class ConvertConflict(Schema):
    detail: str
    errors: dict[str, list[str]]
    accounts: list[MatchOut]
    contacts: list[MatchOut]


class ConvertIn(Schema):
    account: int | None = None
    contact: int | None = None
    create_opportunity: bool = False
    opportunity_name: str = ""
    amount: Decimal | None = None
    allow_duplicate: bool = False


class AssignIn(Schema):
    owner: int


class StatusIn(Schema):
    status: str
    reason: str = ""


def _lead(request, pk: int, action: str = Action.VIEW) -> Lead:
    return get_record(LEAD, request.auth, pk, action)


def _out(request, lead: Lead) -> dict:
    fresh = Lead.objects.select_related(*LEAD.select_related).get(pk=lead.pk)
    return shown(LEAD, request.auth, [fresh])[0]


def _matches(found) -> list[dict]:
    return [
        {"id": m.record.pk, "name": str(m.record), "score": m.score, "reasons": m.reasons}
        for m in found
    ]


def _run(action):
    try:
        return action()
    except lead_services.LeadError as error:
        raise ApiError(409, error.message) from None


@router.post(
    "/leads/{int:pk}/convert",
    response={200: LeadOut, 409: ConvertConflict},
    operation_id="leads_convert",
)
def convert(request, pk: int, payload: ConvertIn):
    """Convert a lead into a customer, a contact and optionally an opportunity.

    Answers 409 with the matching customers and contacts when the lead looks like
    existing ones, unless `account` (or `contact`) is given or `allow_duplicate` is true.
    """
    lead = _lead(request, pk, Action.EDIT)
    if payload.amount is not None and payload.amount < 0:
        raise ApiError(400, _("The data is not valid."), {"amount": [_("Enter a valid value.")]})
    try:
        converted = lead_conversion.lead_convert(
            actor=request.auth,
            lead=lead,
            account=payload.account,
            contact=payload.contact,
            create_opportunity=payload.create_opportunity,
            opportunity_name=payload.opportunity_name,
            amount=payload.amount,
            allow_duplicate=payload.allow_duplicate,
        )
    except lead_conversion.DuplicatesFound as found:
        return Status(
            409,
            {
                "detail": _(
                    "The lead looks like existing customers or contacts. Send account "
                    "(and contact) to attach it to them, or allow_duplicate=true."
                ),
                "errors": {},
                "accounts": _matches(found.accounts),
                "contacts": _matches(found.contacts),
            },
        )
    except lead_services.LeadError as error:
        raise ApiError(409, error.message) from None
    return _out(request, converted)


@router.post("/leads/{int:pk}/claim", response=LeadOut, operation_id="leads_claim")
def claim(request, pk: int):
    """Take a lead from the lead pool."""
    lead = _lead(request, pk)
    _run(lambda: lead_services.lead_claim(actor=request.auth, lead=lead))
    return _out(request, lead)


@router.post("/leads/{int:pk}/release", response=LeadOut, operation_id="leads_release")
def release(request, pk: int):
    """Put a lead back into the lead pool."""
    lead = _lead(request, pk, Action.EDIT)
    _run(lambda: lead_services.lead_release(actor=request.auth, lead=lead))
    return _out(request, lead)


@router.post("/leads/{int:pk}/assign", response=LeadOut, operation_id="leads_assign")
def assign(request, pk: int, payload: AssignIn):
    """Give a lead to another owner; needs the assign permission."""
    require(request.auth, "lead", Action.ASSIGN)
    lead = _lead(request, pk)
    owner = User.objects.filter(pk=payload.owner, is_active=True).first()
    if owner is None:
        raise ApiError(400, _("The data is not valid."), {"owner": [_("Choose an active user.")]})
    try:
        lead_services.lead_assign(actor=request.auth, lead=lead, owner=owner)
    except Lead.DoesNotExist:
        raise ApiError(404, _("Not found.")) from None
    return _out(request, lead)


@router.post("/leads/{int:pk}/status", response=LeadOut, operation_id="leads_status")
def set_status(request, pk: int, payload: StatusIn):
    """Mark a lead new, contacted, qualified, or unqualified with a `reason`."""
    lead = _lead(request, pk, Action.EDIT)
    _run(
        lambda: lead_services.lead_set_status(
            actor=request.auth, lead=lead, status=payload.status, reason=payload.reason
        )
    )
    return _out(request, lead)


@router.post(
    "/mailboxes/unmatched/{int:pk}/create-lead",
    response={201: LeadOut},
    operation_id="mailboxes_create_lead",
)
def unmatched_create_lead(request, pk: int):
    """Create a lead from an unmatched email's sender and file the email on it."""
    from guanxi.activities import inbound

    message = inbound.readable_message(request.auth, pk)
    if message is None:
        raise ApiError(404, _("Not found."))
    lead = lead_capture.lead_from_email(actor=request.auth, message=message)
    return Status(201, _out(request, lead))


# --- settings: assignment rules, scoring rules, web-to-lead forms (administrators) ------


def _admin(request) -> None:
    if not (request.auth.is_superuser or request.auth.is_staff):
        raise PermissionDenied


def _plain(instance, form_class) -> dict[str, Any]:
    data: dict[str, Any] = {"id": instance.pk}
    for name in form_class._meta.fields:
        value = getattr(instance, name)
        data[name] = value.pk if hasattr(value, "pk") else value
    if hasattr(instance, "public_key"):
        data["public_key"] = instance.public_key
        data["submissions"] = instance.submissions
    return data


class SettingsOut(Schema):
    count: int
    items: list[dict[str, Any]]


def _in_schema(model, form_class) -> type[Schema]:
    """Return the request schema of a settings model: its form's fields, all optional."""
    fields = {name: (Any, None) for name in form_class._meta.fields}
    return create_model(f"{model.__name__}In", __base__=Schema, **fields)


def _settings_routes(path: str, model, form_class, name: str) -> None:
    In = _in_schema(model, form_class)

    @router.get(path, response=SettingsOut, operation_id=f"{name}_list")
    def list_items(request):
        _admin(request)
        items = [_plain(item, form_class) for item in model.objects.all()]
        return {"count": len(items), "items": items}

    def create_item(request, payload):
        _admin(request)
        form = form_class(payload.dict(exclude_unset=True))
        if not form.is_valid():
            raise invalid(form)
        item = form.save(commit=False)
        item.created_by = item.updated_by = request.auth
        item.save()
        return Status(201, _plain(item, form_class))

    def update_item(request, pk: int, payload):
        _admin(request)
        item = model.objects.filter(pk=pk).first()
        if item is None:
            raise ApiError(404, _("Not found."))
        changes = payload.dict(exclude_unset=True)
        form = form_class({**_plain(item, form_class), **changes}, instance=item)
        if not form.is_valid():
            raise invalid(form)
        item = form.save(commit=False)
        item.updated_by = request.auth
        item.save()
        return _plain(item, form_class)

    @router.delete(path + "/{int:pk}", response={204: None}, operation_id=f"{name}_delete")
    def delete_item(request, pk: int):
        _admin(request)
        deleted, _rows = model.objects.filter(pk=pk).delete()
        if not deleted:
            raise ApiError(404, _("Not found."))
        return Status(204, None)

    # The schema is made here, so the annotation is given as a class, not as a name that
    # `from __future__ import annotations` would leave for ninja to resolve.
    create_item.__annotations__["payload"] = In
    update_item.__annotations__.update(pk=int, payload=In)
    router.post(path, response={201: dict[str, Any]}, operation_id=f"{name}_create")(create_item)
    router.patch(path + "/{int:pk}", response=dict[str, Any], operation_id=f"{name}_update")(
        update_item
    )


_settings_routes("/lead-assignment-rules", LeadAssignmentRule, AssignmentRuleForm, "lead_rules")
_settings_routes("/lead-scoring-rules", LeadScoringRule, ScoringRuleForm, "lead_scoring_rules")
_settings_routes("/lead-web-forms", LeadWebForm, WebFormForm, "lead_web_forms")
