"""Writes of competitor information: the competing products kept on a competitor account."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import ensure_in_scope, require
from guanxi.customers.choices import AccountType
from guanxi.customers.models import Account
from guanxi.sales.models import CompetitorProduct


def _check_competitor(actor: User, competitor: Account) -> None:
    require(actor, "account", Action.EDIT)
    ensure_in_scope(actor, competitor, Action.EDIT)
    if competitor.account_type != AccountType.COMPETITOR:
        raise ValidationError({"competitor": [_("This customer is not a competitor.")]})


@transaction.atomic
def competitor_product_save(*, actor: User, competitor: Account, form) -> CompetitorProduct:
    """Create or change a competing product from a valid form; note it in the history."""
    _check_competitor(actor, competitor)
    product = form.save(commit=False)
    before = None if product.pk is None else product.name
    product.competitor = competitor
    if product.pk is None:
        product.created_by = actor
    product.updated_by = actor
    product.save()
    audit.record(
        actor=actor,
        entity="account",
        instance=competitor,
        action=AuditAction.UPDATE,
        changes={"competing_products": [before, product.name]},
    )
    return product


@transaction.atomic
def competitor_product_delete(*, actor: User, product: CompetitorProduct) -> None:
    """Remove a competing product from its competitor; note it in the history."""
    competitor = product.competitor
    _check_competitor(actor, competitor)
    name = product.name
    product.delete()
    audit.record(
        actor=actor,
        entity="account",
        instance=competitor,
        action=AuditAction.UPDATE,
        changes={"competing_products": [name, None]},
    )
