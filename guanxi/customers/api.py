"""API routes special to accounts and contacts; CRUD comes from the generic layer."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.api.generic import get_record
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.customers import services
from guanxi.customers.choices import ContactRole
from guanxi.customers.entities import ACCOUNT, CONTACT
from guanxi.customers.models import Account

router = Router(tags=["contacts"])


class AccountLinkIn(Schema):
    account: int
    role: str = ""
    title: str = ""


class AccountLinkOut(Schema):
    account: int
    account_name: str
    role: str
    title: str
    main: bool


def _links_out(contact, user) -> list[dict]:
    visible = Account.objects.visible_to(user, Action.VIEW).values("pk")
    links = [
        {
            "account": contact.account_id,
            "account_name": str(contact.account),
            "role": contact.role,
            "title": contact.title,
            "main": True,
        }
    ]
    for link in contact.account_links.filter(account__in=visible).select_related("account"):
        links.append(
            {
                "account": link.account_id,
                "account_name": str(link.account),
                "role": link.role,
                "title": link.title,
                "main": False,
            }
        )
    return links


def _invalid(error: ValidationError) -> ApiError:
    return ApiError(400, _("The data is not valid."), error.message_dict)


@router.get(
    "/contacts/{int:pk}/accounts",
    response=list[AccountLinkOut],
    operation_id="contacts_accounts",
)
def contact_accounts(request, pk: int):
    """Return the customers a contact belongs to: the main one first, then further ones."""
    require(request.auth, CONTACT.name, Action.VIEW)
    contact = get_record(CONTACT, request.auth, pk)
    return _links_out(contact, request.auth)


@router.post(
    "/contacts/{int:pk}/accounts",
    response={200: list[AccountLinkOut]},
    operation_id="contacts_accounts_link",
)
def contact_account_link(request, pk: int, payload: AccountLinkIn):
    """Link a contact to a further customer (or change the role there)."""
    require(request.auth, CONTACT.name, Action.EDIT)
    contact = get_record(CONTACT, request.auth, pk, Action.EDIT)
    if payload.role and payload.role not in ContactRole.values:
        raise ApiError(400, _("The data is not valid."), {"role": [_("Enter a valid value.")]})
    account = (
        Account.objects.visible_to(request.auth, Action.VIEW).filter(pk=payload.account).first()
    )
    if account is None:
        raise ApiError(400, _("The data is not valid."), {"account": [_("Not found.")]})
    try:
        services.contact_link_account(
            actor=request.auth,
            contact=contact,
            account=account,
            role=payload.role,
            title=payload.title[:100],
        )
    except ValidationError as error:
        raise _invalid(error) from error
    return _links_out(contact, request.auth)


@router.delete(
    "/contacts/{int:pk}/accounts/{int:account_id}",
    response={204: None},
    operation_id="contacts_accounts_unlink",
)
def contact_account_unlink(request, pk: int, account_id: int):
    """Remove a contact's link to a further customer."""
    require(request.auth, CONTACT.name, Action.EDIT)
    contact = get_record(CONTACT, request.auth, pk, Action.EDIT)
    account = get_record(ACCOUNT, request.auth, account_id)
    try:
        services.contact_unlink_account(actor=request.auth, contact=contact, account=account)
    except ValidationError as error:
        raise _invalid(error) from error
    return Status(204, None)
