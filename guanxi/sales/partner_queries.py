"""Reads of sales partners (SAL-6): the leads and deals they bring and how those end.

Counts start from the leads and deals the user may see. Leads count in the period they
were registered (created), conversions in the period they converted; deals count in the
period they were created, wins and losses in the period they closed; the pipeline is the
open deals now.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from guanxi.core.choices import Action
from guanxi.customers.choices import AccountType
from guanxi.customers.models import Account
from guanxi.sales.competitor_period import ReportScope
from guanxi.sales.models import Lead, Opportunity

ZERO = Decimal("0.00")
CENTS = Decimal("0.01")
MONEY = DecimalField(max_digits=18, decimal_places=2)
PARTNER_TYPES = (AccountType.PARTNER, AccountType.RESELLER)


@dataclass
class PartnerFigures:
    """Hold one partner's figures over the leads and deals the user may see."""

    partner_id: int
    name: str
    account_type: str
    leads: int = 0
    converted: int = 0
    deals: int = 0
    won: int = 0
    lost: int = 0
    won_amount: Decimal = ZERO
    pipeline_amount: Decimal = ZERO
    open_deals: int = 0

    @property
    def win_rate(self) -> Decimal | None:
        closed = self.won + self.lost
        if not closed:
            return None
        return (Decimal(self.won) * 100 / closed).quantize(Decimal("0.1"))

    @property
    def conversion_rate(self) -> Decimal | None:
        if not self.leads:
            return None
        return (Decimal(self.converted) * 100 / self.leads).quantize(Decimal("0.1"))


def partner_accounts(user) -> QuerySet[Account]:
    """Return the partner, reseller and agent accounts the user may see, by name."""
    return (
        Account.objects.visible_to(user, Action.VIEW)
        .filter(account_type__in=PARTNER_TYPES)
        .order_by("name", "id")
    )


def is_partner(account: Account) -> bool:
    return account.account_type in PARTNER_TYPES


def partner_leads(user, partner: Account) -> QuerySet[Lead]:
    return (
        Lead.objects.visible_to(user, Action.VIEW)
        .filter(partner=partner)
        .select_related("owner")
        .order_by("-created_at", "-pk")
    )


def partner_deals(user, partner: Account) -> QuerySet[Opportunity]:
    return (
        Opportunity.objects.visible_to(user, Action.VIEW)
        .filter(partner=partner)
        .select_related("owner", "stage", "account")
        .order_by("-created_at", "-pk")
    )


def partner_performance(
    user, scope: ReportScope, partners: QuerySet[Account] | None = None
) -> list[PartnerFigures]:
    """Return per partner the leads, conversions, deals, wins and pipeline, biggest first.

    Three queries whatever the number of partners: the accounts, the leads, the deals.
    """
    if partners is None:
        partners = partner_accounts(user)
    accounts = partners.values_list("pk", "name", "account_type")
    figures = {
        pk: PartnerFigures(partner_id=pk, name=name, account_type=kind)
        for pk, name, kind in accounts
    }
    if not figures:
        return []
    leads = scope.owned(Lead.objects.visible_to(user, Action.VIEW).filter(partner_id__in=figures))
    for row in (
        leads.values("partner_id")
        .annotate(
            registered=Count("pk", filter=scope.period_q("created_at")),
            converted=Count(
                "pk", filter=scope.period_q("converted_at") & Q(converted_at__isnull=False)
            ),
        )
        .order_by()
    ):
        item = figures[row["partner_id"]]
        item.leads, item.converted = row["registered"], row["converted"]
    _add_deals(user, scope, figures)
    return sorted(figures.values(), key=lambda item: (-item.won_amount, -item.deals, item.name))


def _add_deals(user, scope: ReportScope, figures: dict[int, PartnerFigures]) -> None:
    deals = scope.owned(
        Opportunity.objects.visible_to(user, Action.VIEW).filter(partner_id__in=figures)
    )
    closed_in_period = scope.period_q("closed_at") & Q(closed_at__isnull=False)
    won = Q(stage__is_won=True) & closed_in_period
    lost = Q(stage__is_lost=True) & closed_in_period
    open_deal = Q(stage__is_won=False, stage__is_lost=False)
    for row in (
        deals.values("partner_id")
        .annotate(
            created=Count("pk", filter=scope.period_q("created_at")),
            won=Count("pk", filter=won),
            lost=Count("pk", filter=lost),
            won_amount=Coalesce(Sum("amount", filter=won), Value(ZERO), output_field=MONEY),
            open_deals=Count("pk", filter=open_deal),
            pipeline=Coalesce(Sum("amount", filter=open_deal), Value(ZERO), output_field=MONEY),
        )
        .order_by()
    ):
        item = figures[row["partner_id"]]
        item.deals, item.won, item.lost = row["created"], row["won"], row["lost"]
        item.won_amount = Decimal(row["won_amount"]).quantize(CENTS)
        item.pipeline_amount = Decimal(row["pipeline"]).quantize(CENTS)
        item.open_deals = row["open_deals"]
