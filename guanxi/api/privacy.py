"""Privacy actions on contacts through the API (CUS-10).

`GET /contacts/{id}/personal-data` returns everything held about the person (JSON, or
Excel with `?format=xlsx`) and needs view and export permission without masking;
`POST /contacts/{id}/erase` anonymises the person and needs delete permission;
`GET|POST /contacts/{id}/consents` reads and appends the consent history.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.api.generic import get_record, shown
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.customers import privacy
from guanxi.customers.choices import ConsentChannel, ConsentSource, ConsentStatus
from guanxi.customers.models import Consent
from guanxi.customers.privacy_views import personal_data_for, personal_data_response

router = Router(tags=["Privacy"])


class ConsentIn(Schema):
    channel: str
    status: str
    source: str = ConsentSource.API
    note: str = ""


class ConsentOut(Schema):
    id: int
    channel: str
    status: str
    source: str
    recorded_at: str
    actor: int | None
    note: str
    current: bool


def _consent_out(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "channel": consent.channel,
        "status": consent.status,
        "source": consent.source,
        "recorded_at": consent.recorded_at.isoformat(),
        "actor": consent.actor_id,
        "note": consent.note,
        "current": consent.current,
    }


@router.get(
    "/contacts/{int:pk}/personal-data",
    response={200: dict[str, Any]},
    operation_id="contacts_personal_data",
)
def personal_data(request, pk: int, format: str = "json"):
    """Return everything held about the person: details, consents, history, links."""
    try:
        contact, data = personal_data_for(request.auth, pk)
    except Http404:
        raise ApiError(404, _("Not found.")) from None
    except PermissionDenied:
        raise ApiError(403, _("You do not have permission to do this.")) from None
    if format == "xlsx":
        return personal_data_response(contact, data, "xlsx")
    return data


@router.get(
    "/accounts/{int:pk}/personal-data",
    response={200: dict[str, Any]},
    operation_id="accounts_personal_data",
)
def account_personal_data(request, pk: int, format: str = "json"):
    """Return everything held about an individual customer; companies are not found."""
    try:
        account, data = personal_data_for(request.auth, pk, "account")
    except Http404:
        raise ApiError(404, _("Not found.")) from None
    except PermissionDenied:
        raise ApiError(403, _("You do not have permission to do this.")) from None
    if format == "xlsx":
        return personal_data_response(account, data, "xlsx")
    return data


@router.post("/contacts/{int:pk}/erase", response=dict[str, Any], operation_id="contacts_erase")
def erase(request, pk: int):
    """Anonymise the person and keep the record; answers the contact as it now is."""
    entity = registry.get("contact")
    require(request.auth, entity.name, Action.DELETE)
    contact = get_record(entity, request.auth, pk, Action.DELETE)
    contact = privacy.contact_erase(actor=request.auth, contact=contact)
    return shown(entity, request.auth, [contact])[0]


@router.post(
    "/accounts/{int:pk}/erase",
    response=dict[str, Any],
    operation_id="accounts_erase",
)
def account_erase(request, pk: int):
    """Anonymise an individual customer and keep the record; companies answer 400."""
    entity = registry.get("account")
    require(request.auth, entity.name, Action.DELETE)
    account = get_record(entity, request.auth, pk, Action.DELETE)
    try:
        account = privacy.account_erase(actor=request.auth, account=account)
    except ValidationError as error:
        raise ApiError(400, " ".join(error.messages)) from error
    return shown(entity, request.auth, [account])[0]


@router.get(
    "/contacts/{int:pk}/consents", response=list[ConsentOut], operation_id="contacts_consents"
)
def consents(request, pk: int):
    """Return the consent history of a contact, newest first."""
    entity = registry.get("contact")
    require(request.auth, entity.name, Action.VIEW)
    contact = get_record(entity, request.auth, pk)
    return [_consent_out(c) for c in Consent.objects.filter(contact=contact)[:500]]


@router.post(
    "/contacts/{int:pk}/consents",
    response={201: ConsentOut},
    operation_id="contacts_consent_record",
)
def consent_record(request, pk: int, payload: ConsentIn):
    """Record a consent or an opt-out; it becomes the current status of that channel."""
    entity = registry.get("contact")
    require(request.auth, entity.name, Action.EDIT)
    contact = get_record(entity, request.auth, pk, Action.EDIT)
    errors: dict[str, list[str]] = {}
    for field, choices in (
        ("channel", ConsentChannel),
        ("status", ConsentStatus),
        ("source", ConsentSource),
    ):
        if getattr(payload, field) not in choices.values:
            errors[field] = [_("Choose one of: %(values)s") % {"values": ", ".join(choices.values)}]
    if errors:
        raise ApiError(400, _("The data is not valid."), errors)
    consent = privacy.consent_record(actor=request.auth, person=contact, **payload.dict())
    return Status(201, _consent_out(consent))
