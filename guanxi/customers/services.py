"""Writes on accounts and contacts that are more than a field save."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanxi.core import audit, events
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import ensure_in_scope
from guanxi.customers.models import Account, AccountContact, Contact


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
