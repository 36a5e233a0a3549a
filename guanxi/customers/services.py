"""Ownership of customers: claim, release, assign and transfer (CUS-4, CUS-9).

Each service is one transaction that locks the customer rows it changes, writes the change
history and the ownership periods, notifies the new owner and emits its event on commit
(`account.claimed`, `account.released`, `account.assigned`, `account.transferred`).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.core import audit, events, locks
from guanxi.core.choices import Action, AuditAction, NotificationCategory
from guanxi.core.models import User
from guanxi.core.permissions import ensure_in_scope, require
from guanxi.core.services import notify
from guanxi.customers.choices import OwnershipEnd, OwnershipStart
from guanxi.customers.models import Account, AccountContact, Contact, OwnershipPeriod, Pool
from guanxi.customers.ownership import (
    accessible_pool_ids,
    account_cap,
    cap_problem,
    related_movers,
)
from guanxi.workflow.approval_gates import approval_gate


class OwnershipError(Exception):
    """Raised when an ownership change is refused; `message` is in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _locked(account_ids: Iterable[int]) -> list[Account]:
    """Return the customers locked for this transaction, in id order to avoid deadlocks."""
    ids = sorted(set(account_ids))
    # Lock first, then read: a joined row read with the lock could predate the wait for it.
    locked = list(
        Account.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk")
    )
    return list(
        Account.objects.filter(pk__in=[pk for (pk,) in locked])
        .select_related("pool", "owner")
        .order_by("pk")
    )


def _scoped_ids(actor: User, account_ids: Iterable[int], action: str) -> set[int]:
    ids = list(set(account_ids))
    return set(
        Account.objects.visible_to(actor, action).filter(pk__in=ids).values_list("pk", flat=True)
    )


def _check_cap(owner: User, adding: int) -> None:
    """Refuse to give the owner more customers than their roles allow."""
    if account_cap(owner) is None or adding == 0:
        return
    # Serialise concurrent claims by the same user so two cannot both pass the count.
    User.objects.select_for_update().filter(pk=owner.pk).first()
    problem = cap_problem(owner, adding)
    if problem:
        raise OwnershipError(problem)


def accounts_before_bulk_set(actor: User, queryset, values: dict) -> None:
    """Refuse a bulk edit that would give an owner more pool customers than the cap allows.

    Taking customers out of the pool by setting their owner counts like claiming them.
    """
    owner = values.get("owner")
    if owner is None:
        return
    adding = queryset.filter(owner__isnull=True, pool__isnull=False).count()
    try:
        _check_cap(owner, adding)
    except OwnershipError as error:
        raise ValidationError(error.message) from error


def _open_period(account: Account, *, owner: User, start: str, actor, now, reason: str = ""):
    OwnershipPeriod.objects.create(
        account=account,
        owner=owner,
        started_at=now,
        start=start,
        started_by=actor,
        pool=account.pool,
        reason=reason[:300],
    )


def _close_period(account: Account, *, end: str, actor, now, reason: str = "") -> None:
    periods = OwnershipPeriod.objects.filter(account=account, ended_at__isnull=True)
    fields = {"ended_at": now, "end": end, "ended_by": actor}
    if reason:
        fields["reason"] = reason[:300]
    periods.update(**fields)


def _audit_owner(actor, account: Account, before: dict, batch: str) -> None:
    after = audit.snapshot(account)
    audit.record(
        actor=actor,
        entity="account",
        instance=account,
        action=AuditAction.ASSIGN,
        changes=audit.diff(before, after),
        batch=batch,
    )


def _save_owner(account: Account, actor) -> None:
    account.updated_by = actor if actor is not None else account.updated_by
    account.version += 1
    account.save(
        update_fields=[
            "owner",
            "pool",
            "pooled_at",
            "owned_at",
            "pool_warned_at",
            "updated_by",
            "updated_at",
            "version",
        ]
    )


def _notify_owner(owner: User, actor: User, account: Account, *, assigned: bool) -> None:
    if owner.pk == getattr(actor, "pk", None) or not owner.is_active:
        return
    with override(owner.language or settings.LANGUAGE_CODE):
        if assigned:
            title = _("%(user)s assigned customer %(record)s to you")
        else:
            title = _("%(user)s transferred customer %(record)s to you")
        notify(
            recipient=owner,
            title=title % {"user": actor, "record": account},
            url=reverse("web:account_detail", args=[account.pk]),
            category=NotificationCategory.ASSIGNMENT,
        )


@transaction.atomic
def accounts_claim(*, actor: User, account_ids: Iterable[int]) -> list[Account]:
    """Take unowned customers from the pools the actor may use; all of them or none."""
    require(actor, "account", Action.VIEW)
    ids = sorted(set(account_ids))
    visible = _scoped_ids(actor, ids, Action.VIEW)
    pool_ids = set(accessible_pool_ids(actor))
    accounts = _locked(ids)
    if len(accounts) != len(ids) or any(a.pk not in visible for a in accounts):
        raise Account.DoesNotExist
    for account in accounts:
        if account.owner_id is not None:
            if account.owner_id == actor.pk:
                raise OwnershipError(_("You already own “%(name)s”.") % {"name": account})
            raise OwnershipError(
                _("“%(name)s” was just claimed by %(user)s.")
                % {"name": account, "user": account.owner}
            )
        if account.pool_id not in pool_ids:
            raise OwnershipError(
                _("“%(name)s” is not in a public pool you may claim from.") % {"name": account}
            )
    _check_cap(actor, len(accounts))
    now = timezone.now()
    batch = uuid.uuid4().hex if len(accounts) > 1 else ""
    for account in accounts:
        before = audit.snapshot(account)
        account.owner, account.owned_at, account.pooled_at = actor, now, None
        account.pool_warned_at = None
        _save_owner(account, actor)
        _open_period(account, owner=actor, start=OwnershipStart.CLAIMED, actor=actor, now=now)
        _audit_owner(actor, account, before, batch)
        events.emit(
            "account.claimed",
            entity="account",
            id=account.pk,
            actor_id=actor.pk,
            owner_id=actor.pk,
            pool_id=account.pool_id,
        )
    return accounts


def account_claim(*, actor: User, account: Account) -> Account:
    """Take one unowned customer from a public pool the actor may use."""
    return accounts_claim(actor=actor, account_ids=[account.pk])[0]


def _pool_for_release(account: Account, pool: Pool | None) -> Pool:
    target = pool or account.pool or Pool.objects.filter(is_default=True, is_active=True).first()
    if target is None:
        raise OwnershipError(
            _("“%(name)s” belongs to no public pool and there is no default pool.")
            % {"name": account}
        )
    return target


@transaction.atomic
def accounts_release(
    *, actor: User, account_ids: Iterable[int], reason: str, pool: Pool | None = None
) -> list[Account]:
    """Give up customers into their public pool (or `pool`), with a reason; all or none."""
    require(actor, "account", Action.EDIT)
    reason = " ".join((reason or "").split())
    if not reason:
        raise OwnershipError(_("Say why the customer goes back to the pool."))
    ids = sorted(set(account_ids))
    editable = _scoped_ids(actor, ids, Action.EDIT)
    accounts = _locked(ids)
    if len(accounts) != len(ids) or any(a.pk not in editable for a in accounts):
        raise Account.DoesNotExist
    for account in accounts:
        if account.owner_id is None:
            raise OwnershipError(_("“%(name)s” has no owner to release it.") % {"name": account})
    now = timezone.now()
    batch = uuid.uuid4().hex if len(accounts) > 1 else ""
    for account in accounts:
        account_return_to_pool(
            account,
            pool=_pool_for_release(account, pool),
            actor=actor,
            now=now,
            end=OwnershipEnd.RELEASED,
            reason=reason,
            batch=batch,
        )
        events.emit(
            "account.released",
            entity="account",
            id=account.pk,
            actor_id=actor.pk,
            pool_id=account.pool_id,
            reason=reason,
        )
    return accounts


def account_release(
    *, actor: User, account: Account, reason: str, pool: Pool | None = None
) -> Account:
    """Give up one customer into its public pool, with a reason."""
    return accounts_release(actor=actor, account_ids=[account.pk], reason=reason, pool=pool)[0]


def account_return_to_pool(
    account: Account, *, pool: Pool, actor, now, end: str, reason: str, batch: str = ""
) -> None:
    """Put a locked customer back into a pool, closing its owner's period (inside a transaction)."""
    before = audit.snapshot(account)
    _close_period(account, end=end, actor=actor, now=now, reason=reason)
    account.owner, account.pool, account.pooled_at = None, pool, now
    account.owned_at, account.pool_warned_at = None, None
    _save_owner(account, actor)
    _audit_owner(actor, account, before, batch)


def _move_contacts(*, actor, account: Account, old_owner_id: int | None, new_owner: User) -> int:
    """Give the new owner the customer's contacts the old owner held (or nobody held)."""
    contacts = Contact.objects.select_for_update().filter(account=account)
    contacts = contacts.filter(owner_id=old_owner_id) if old_owner_id else contacts.none()
    moved = 0
    for contact in contacts:
        before = audit.snapshot(contact)
        contact.owner = new_owner
        contact.updated_by = actor
        contact.version += 1
        contact.save(update_fields=["owner", "updated_by", "updated_at", "version"])
        audit.record(
            actor=actor,
            entity="contact",
            instance=contact,
            action=AuditAction.ASSIGN,
            changes=audit.diff(before, audit.snapshot(contact)),
        )
        moved += 1
    return moved


@transaction.atomic
def accounts_transfer(
    *,
    actor: User,
    account_ids: Iterable[int],
    owner: User,
    include_contacts: bool = False,
    include_related: bool = False,
    start: str = OwnershipStart.TRANSFERRED,
    pending: list | None = None,
) -> list[Account]:
    """Give customers to a new owner, optionally with their contacts, open deals and tasks.

    Customers taken out of a pool count against the new owner's limit; a transfer between
    owners does not, so a manager can always hand over a leaver's book of business. A
    transfer to an owner in another department that an approval process governs waits
    for it: the customer stays, and its approval is appended to `pending` if given.
    """
    require(actor, "account", Action.ASSIGN)
    if not owner.is_active:
        raise OwnershipError(_("%(user)s is not an active user.") % {"user": owner})
    ids = sorted(set(account_ids))
    assignable = _scoped_ids(actor, ids, Action.ASSIGN)
    accounts = _locked(ids)
    if len(accounts) != len(ids) or any(a.pk not in assignable for a in accounts):
        raise Account.DoesNotExist
    accounts = [account for account in accounts if account.owner_id != owner.pk]
    params = {
        "owner": owner.pk,
        "include_contacts": include_contacts,
        "include_related": include_related,
    }
    waiting = [
        account
        for account in accounts
        if _transfer_waits(actor, account, owner, params, start, pending)
    ]
    accounts = [account for account in accounts if account not in waiting]
    _check_cap(owner, sum(1 for account in accounts if account.owner_id is None))
    now = timezone.now()
    batch = uuid.uuid4().hex if len(accounts) > 1 else ""
    for account in accounts:
        _transfer_one(
            actor=actor,
            account=account,
            owner=owner,
            now=now,
            start=start,
            include_contacts=include_contacts,
            include_related=include_related,
            batch=batch,
        )
    return accounts


def _transfer_waits(actor, account, owner, params, start, pending) -> bool:
    """Tell whether the transfer waits for approval (WF-1); refuse it while owner is locked."""
    try:
        locks.check_edit(actor=actor, entity_name="account", record=account, fields={"owner"})
        if (
            start != OwnershipStart.TRANSFERRED
            or account.owner_id is None
            or account.owner.department_id == owner.department_id
        ):
            return False
        instance = approval_gate(
            "account.transfer_department", record=account, actor=actor, params=params
        )
    except ValidationError as error:
        raise OwnershipError(" ".join(error.messages)) from None
    if instance is not None and pending is not None:
        pending.append(instance)
    return instance is not None


def _transfer_one(
    *, actor, account, owner, now, start, include_contacts, include_related, batch
) -> None:
    old_owner_id = account.owner_id
    from_pool = account.owner_id is None
    before = audit.snapshot(account)
    _close_period(account, end=OwnershipEnd.TRANSFERRED, actor=actor, now=now)
    account.owner, account.owned_at, account.pooled_at = owner, now, None
    account.pool_warned_at = None
    _save_owner(account, actor)
    kind = OwnershipStart.ASSIGNED if from_pool else start
    _open_period(account, owner=owner, start=kind, actor=actor, now=now)
    _audit_owner(actor, account, before, batch)
    moved = {}
    if include_contacts:
        moved["contacts"] = _move_contacts(
            actor=actor, account=account, old_owner_id=old_owner_id, new_owner=owner
        )
    if include_related and old_owner_id:
        old_owner = User.objects.get(pk=old_owner_id)
        for mover in related_movers():
            moved[mover.key] = mover.move(
                actor=actor, account=account, old_owner=old_owner, new_owner=owner
            )
    _notify_owner(owner, actor, account, assigned=kind == OwnershipStart.ASSIGNED)
    events.emit(
        "account.assigned" if kind == OwnershipStart.ASSIGNED else "account.transferred",
        entity="account",
        id=account.pk,
        actor_id=actor.pk,
        owner_id=owner.pk,
        previous_owner_id=old_owner_id,
        moved=moved,
    )


def account_assign(*, actor: User, account: Account, owner: User) -> Account:
    """Give one customer an owner (分配), e.g. out of the pool; its other records stay."""
    accounts_transfer(
        actor=actor, account_ids=[account.pk], owner=owner, start=OwnershipStart.ASSIGNED
    )
    account.refresh_from_db()
    return account


def account_transfer(
    *,
    actor: User,
    account: Account,
    owner: User,
    include_contacts: bool = False,
    include_related: bool = False,
) -> Account:
    """Hand one customer to a new owner (转移), optionally with its contacts, deals and tasks.

    When the transfer waits for approval, the customer is returned with `pending_approval`.
    """
    pending: list = []
    accounts_transfer(
        actor=actor,
        account_ids=[account.pk],
        owner=owner,
        include_contacts=include_contacts,
        include_related=include_related,
        pending=pending,
    )
    account.refresh_from_db()
    account.pending_approval = pending[0] if pending else None
    return account


def account_follow_up_record(*, account_id: int, at: datetime.datetime | None = None) -> None:
    """Note that someone followed up with the customer; the return clock starts again."""
    at = at or timezone.now()
    Account.objects.filter(pk=account_id).exclude(last_followed_up_at__gte=at).update(
        last_followed_up_at=at
    )


def _record_links_changed(*, actor: User, contact: Contact, before: list, after: list) -> None:
    audit.record(
        actor=actor,
        entity="contact",
        instance=contact,
        action=AuditAction.UPDATE,
        changes={"further_accounts": [before, after]},
    )


def _link_reprs(contact: Contact) -> list[str]:
    return [
        str(link.account) + (f" ({link.get_role_display()})" if link.role else "")
        for link in contact.account_links.select_related("account").order_by("account__name")
    ]


@transaction.atomic
def contact_link_account(
    *, actor: User, contact: Contact, account: Account, role: str = "", title: str = ""
) -> AccountContact:
    """Link a contact to a further account with their role there, or update that link.

    The actor needs edit access to the contact and view access to the account.
    """
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    ensure_in_scope(actor, contact, Action.EDIT)
    ensure_in_scope(actor, account, Action.VIEW)
    if account.pk == contact.account_id:
        raise ValidationError(
            {"account": [_("This is already the contact's main customer.")]}, code="main"
        )
    before = _link_reprs(contact)
    try:
        with transaction.atomic():
            link, _created = AccountContact.objects.update_or_create(
                account=account,
                contact=contact,
                defaults={"role": role, "title": title, "updated_by": actor},
                create_defaults={
                    "role": role,
                    "title": title,
                    "created_by": actor,
                    "updated_by": actor,
                },
            )
    except IntegrityError as error:  # a concurrent link of the same pair
        raise ValidationError(
            {"account": [_("The contact is already linked to this customer.")]}
        ) from error
    _record_links_changed(actor=actor, contact=contact, before=before, after=_link_reprs(contact))
    events.emit("contact.linked", id=contact.pk, account_id=account.pk, actor_id=actor.pk)
    return link


@transaction.atomic
def contact_unlink_account(*, actor: User, contact: Contact, account: Account) -> None:
    """Remove a contact's link to a further account; the main account cannot be unlinked."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    ensure_in_scope(actor, contact, Action.EDIT)
    before = _link_reprs(contact)
    deleted, _counts = AccountContact.objects.filter(contact=contact, account=account).delete()
    if not deleted:
        raise ValidationError(
            {"account": [_("The contact is not linked to this customer.")]}, code="missing"
        )
    _record_links_changed(actor=actor, contact=contact, before=before, after=_link_reprs(contact))
    events.emit("contact.unlinked", id=contact.pk, account_id=account.pk, actor_id=actor.pk)
