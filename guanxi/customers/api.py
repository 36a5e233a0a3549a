"""REST routes of customer ownership and the public pool (CUS-4, CUS-9).

`GET /pools`, `GET /pools/{id}/accounts`; `POST /accounts/{id}/claim|release|assign|transfer`
and their bulk forms `POST /accounts/claim|release|transfer` with `ids`;
`GET /accounts/{id}/ownership` for who held a customer and when.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.api.generic import MAX_LIMIT, get_record
from guanxi.api.schemas import ListParams, out_schema, record_out
from guanxi.core import queries
from guanxi.core.choices import Action
from guanxi.core.models import User
from guanxi.core.permissions import require
from guanxi.customers import ownership, services
from guanxi.customers.choices import ContactRole
from guanxi.customers.entities import ACCOUNT, CONTACT
from guanxi.customers.models import Account, Pool

router = Router(tags=["Public pool"])
AccountOut = out_schema(ACCOUNT)


class PoolOut(Schema):
    id: int
    name: str
    description: str
    days_without_follow_up: int | None
    days_without_deal: int | None
    warning_days: int
    is_default: bool
    departments: list[int]
    account_count: int
    account_count_capped: bool


class PoolList(Schema):
    count: int
    items: list[PoolOut]


class PoolAccountList(Schema):
    count: int
    count_capped: bool = False
    items: list[AccountOut]  # type: ignore[valid-type]


class ReleaseIn(Schema):
    reason: str = ""
    pool: int | None = None


class AssignIn(Schema):
    owner: int


class TransferIn(Schema):
    owner: int
    include_contacts: bool = False
    include_related: bool = False


class BulkIds(Schema):
    ids: list[int]


class BulkReleaseIn(ReleaseIn):
    ids: list[int]


class BulkTransferIn(TransferIn):
    ids: list[int]


class BulkOut(Schema):
    count: int
    ids: list[int]


class OwnershipPeriodOut(Schema):
    id: int
    owner: int
    owner_name: str
    started_at: datetime
    ended_at: datetime | None
    start: str
    end: str
    started_by: int | None
    ended_by: int | None
    pool: int | None
    reason: str


def _pool(user, pk: int) -> Pool:
    pool = ownership.accessible_pools(user).filter(pk=pk).first()
    if pool is None:
        raise ApiError(404, _("Not found."))
    return pool


def _new_owner(pk: int) -> User:
    owner = User.objects.filter(pk=pk, is_active=True).first()
    if owner is None:
        raise ApiError(
            400, _("The data is not valid."), {"owner": [_("Unknown or inactive user.")]}
        )
    return owner


def _release_pool(pk: int | None) -> Pool | None:
    if pk is None:
        return None
    pool = Pool.objects.filter(pk=pk, is_active=True).first()
    if pool is None:
        raise ApiError(400, _("The data is not valid."), {"pool": [_("Unknown public pool.")]})
    return pool


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ApiError(
            400,
            _("The data is not valid."),
            {"reason": [_("Say why the customer goes back to the pool.")]},
        )
    return reason


def _ids(ids: list[int]) -> list[int]:
    if not ids:
        raise ApiError(
            400, _("The data is not valid."), {"ids": [_("Choose at least one customer.")]}
        )
    return ids


def _run(action):
    """Run a service; answer its refusals in the error shape."""
    try:
        return action()
    except Account.DoesNotExist:
        raise ApiError(404, _("Not found.")) from None
    except services.OwnershipError as error:
        raise ApiError(409, error.message) from None


@router.get("/pools", response=PoolList, operation_id="pools_list")
def pool_list(request):
    """List the active public pools the user's roles give access to."""
    require(request.auth, "account", Action.VIEW)
    items = []
    for pool in ownership.accessible_pools(request.auth).prefetch_related("departments"):
        count, capped = queries.capped_count(ownership.pool_accounts(request.auth, pool))
        items.append(
            {
                "id": pool.pk,
                "name": pool.name,
                "description": pool.description,
                "days_without_follow_up": pool.days_without_follow_up,
                "days_without_deal": pool.days_without_deal,
                "warning_days": pool.warning_days,
                "is_default": pool.is_default,
                "departments": [department.pk for department in pool.departments.all()],
                "account_count": count,
                "account_count_capped": capped,
            }
        )
    return {"count": len(items), "items": items}


@router.get("/pools/{int:pk}/accounts", response=PoolAccountList, operation_id="pools_accounts")
def pool_account_list(request, pk: int, params: Query[ListParams]):
    """List the unowned customers of a pool, newest in the pool first; `q` searches."""
    require(request.auth, "account", Action.VIEW)
    pool = _pool(request.auth, pk)
    queryset = queries.record_list(ACCOUNT, request.auth, request.GET).filter(
        pool=pool, owner__isnull=True
    )
    if not params.ordering:
        queryset = queryset.order_by("-pooled_at", "-id")
    count, capped = queries.capped_count(queryset)
    limit, offset = max(1, min(params.limit, MAX_LIMIT)), max(0, params.offset)
    items = [record_out(ACCOUNT, account) for account in queryset[offset : offset + limit]]
    return {"count": count, "count_capped": capped, "items": items}


@router.post("/accounts/claim", response=BulkOut, operation_id="accounts_claim_many")
def claim_many(request, payload: BulkIds):
    """Claim several pool customers at once: all of them or, with an error, none."""
    ids = _ids(payload.ids)
    accounts = _run(lambda: services.accounts_claim(actor=request.auth, account_ids=ids))
    return {"count": len(accounts), "ids": [account.pk for account in accounts]}


@router.post("/accounts/release", response=BulkOut, operation_id="accounts_release_many")
def release_many(request, payload: BulkReleaseIn):
    """Release several customers to their pools with one reason: all or none."""
    ids, reason, pool = _ids(payload.ids), _reason(payload.reason), _release_pool(payload.pool)
    accounts = _run(
        lambda: services.accounts_release(
            actor=request.auth, account_ids=ids, reason=reason, pool=pool
        )
    )
    return {"count": len(accounts), "ids": [account.pk for account in accounts]}


@router.post("/accounts/transfer", response=BulkOut, operation_id="accounts_transfer_many")
def transfer_many(request, payload: BulkTransferIn):
    """Transfer several customers to one new owner: all or none."""
    ids, owner = _ids(payload.ids), _new_owner(payload.owner)
    accounts = _run(
        lambda: services.accounts_transfer(
            actor=request.auth,
            account_ids=ids,
            owner=owner,
            include_contacts=payload.include_contacts,
            include_related=payload.include_related,
        )
    )
    return {"count": len(accounts), "ids": [account.pk for account in accounts]}


@router.post("/accounts/{int:pk}/claim", response=AccountOut, operation_id="accounts_claim")
def claim(request, pk: int):
    """Take an unowned customer from a public pool you have access to."""
    account = get_record(ACCOUNT, request.auth, pk)
    account = _run(lambda: services.account_claim(actor=request.auth, account=account))
    account.refresh_from_db()
    return record_out(ACCOUNT, account)


@router.post("/accounts/{int:pk}/release", response=AccountOut, operation_id="accounts_release")
def release(request, pk: int, payload: ReleaseIn):
    """Give up a customer into its public pool (or `pool`), saying why."""
    account = get_record(ACCOUNT, request.auth, pk)
    reason, pool = _reason(payload.reason), _release_pool(payload.pool)
    account = _run(
        lambda: services.account_release(
            actor=request.auth, account=account, reason=reason, pool=pool
        )
    )
    account.refresh_from_db()
    return record_out(ACCOUNT, account)


@router.post("/accounts/{int:pk}/assign", response=AccountOut, operation_id="accounts_assign")
def assign(request, pk: int, payload: AssignIn):
    """Give a customer an owner, e.g. out of the pool; needs the assign permission."""
    require(request.auth, "account", Action.ASSIGN)
    account = get_record(ACCOUNT, request.auth, pk)
    owner = _new_owner(payload.owner)
    account = _run(
        lambda: services.account_assign(actor=request.auth, account=account, owner=owner)
    )
    return record_out(ACCOUNT, account)


@router.post(
    "/accounts/{int:pk}/transfer",
    response={200: AccountOut, 202: AccountOut},
    operation_id="accounts_transfer",
)
def transfer(request, pk: int, payload: TransferIn):
    """Hand a customer to a new owner, with its contacts and open deals and tasks if asked.

    202: the transfer waits for an approval (`GET /approvals?entity=account&record=<id>`);
    the customer keeps its owner until then.
    """
    require(request.auth, "account", Action.ASSIGN)
    account = get_record(ACCOUNT, request.auth, pk)
    owner = _new_owner(payload.owner)
    account = _run(
        lambda: services.account_transfer(
            actor=request.auth,
            account=account,
            owner=owner,
            include_contacts=payload.include_contacts,
            include_related=payload.include_related,
        )
    )
    if getattr(account, "pending_approval", None) is not None:
        return Status(202, record_out(ACCOUNT, account))
    return record_out(ACCOUNT, account)


@router.get(
    "/accounts/{int:pk}/ownership",
    response=list[OwnershipPeriodOut],
    operation_id="accounts_ownership",
)
def ownership_periods(request, pk: int, limit: int = 100):
    """Return who owned the customer, from when to when, and how each period began and ended."""
    require(request.auth, "account", Action.VIEW)
    account = get_record(ACCOUNT, request.auth, pk)
    periods = ownership.ownership_history(account)[: max(1, min(limit, MAX_LIMIT))]
    return [
        {
            "id": period.pk,
            "owner": period.owner_id,
            "owner_name": str(period.owner),
            "started_at": period.started_at,
            "ended_at": period.ended_at,
            "start": period.start,
            "end": period.end,
            "started_by": period.started_by_id,
            "ended_by": period.ended_by_id,
            "pool": period.pool_id,
            "reason": period.reason,
        }
        for period in periods
    ]


contacts_router = Router(tags=["contacts"])


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


@contacts_router.get(
    "/contacts/{int:pk}/accounts",
    response=list[AccountLinkOut],
    operation_id="contacts_accounts",
)
def contact_accounts(request, pk: int):
    """Return the customers a contact belongs to: the main one first, then further ones."""
    require(request.auth, CONTACT.name, Action.VIEW)
    contact = get_record(CONTACT, request.auth, pk)
    return _links_out(contact, request.auth)


@contacts_router.post(
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


@contacts_router.delete(
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
