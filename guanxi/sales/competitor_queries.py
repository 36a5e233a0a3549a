"""Reads of competitors (SAL-5): their accounts, products, deals and win/loss figures.

Every figure starts from the deals the user may see (`visible_to(user, "view")`): a rep
never counts a deal outside their data scope. A deal belongs to a period by its close
date once closed and by its creation date while open.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from guanxi.core.choices import Action
from guanxi.customers.choices import AccountType
from guanxi.customers.models import Account
from guanxi.sales.choices import CloseReason
from guanxi.sales.competitor_period import ReportScope
from guanxi.sales.models import CompetitorProduct, Opportunity, OpportunityCompetitor

ZERO = Decimal("0.00")
TOP_REASONS = 3
MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass
class CompetitorFigures:
    """Hold one competitor's win/loss figures over the deals the user may see."""

    competitor_id: int
    name: str
    faced: int = 0
    won: int = 0
    lost: int = 0
    lost_to_them: int = 0
    open: int = 0
    amount_won: Decimal = ZERO
    amount_lost: Decimal = ZERO
    average_their_price: Decimal | None = None
    average_our_price: Decimal | None = None
    loss_reasons: list[dict] = field(default_factory=list)

    @property
    def win_rate(self) -> Decimal | None:
        """Return won ÷ (won + lost) in percent with one decimal, None before any close."""
        closed = self.won + self.lost
        if not closed:
            return None
        return (Decimal(self.won) * 100 / closed).quantize(Decimal("0.1"))

    @property
    def price_difference(self) -> Decimal | None:
        """Return how much dearer (positive) or cheaper they were than us on average."""
        if self.average_their_price is None or self.average_our_price is None:
            return None
        return self.average_their_price - self.average_our_price


def competitor_accounts(user) -> QuerySet[Account]:
    """Return the competitor accounts the user may see, by name."""
    return (
        Account.objects.visible_to(user, Action.VIEW)
        .filter(account_type=AccountType.COMPETITOR)
        .order_by("name", "id")
    )


def products_by_competitor(competitor_ids) -> dict[int, list[CompetitorProduct]]:
    """Return the competing products of several competitors in one query."""
    products: dict[int, list[CompetitorProduct]] = defaultdict(list)
    for product in CompetitorProduct.objects.filter(competitor_id__in=list(competitor_ids)):
        products[product.competitor_id].append(product)
    return products


def deals_in_scope(user, scope: ReportScope) -> QuerySet[Opportunity]:
    """Return the deals the user may see that the period and owner scope take in."""
    deals = Opportunity.objects.visible_to(user, Action.VIEW).annotate(
        deal_date=Coalesce("closed_at", "created_at")
    )
    return scope.owned(deals.filter(scope.period_q("deal_date")))


def _rows(user, scope: ReportScope, competitor_ids) -> QuerySet[OpportunityCompetitor]:
    rows = OpportunityCompetitor.objects.filter(
        opportunity__in=deals_in_scope(user, scope).values("pk")
    )
    if competitor_ids is not None:
        rows = rows.filter(competitor_id__in=list(competitor_ids))
    return rows


def competitor_analysis(
    user, scope: ReportScope, competitors: QuerySet[Account] | None = None
) -> list[CompetitorFigures]:
    """Return win/loss figures per competitor the user may see, most deals first.

    Three queries whatever the number of competitors: the accounts, the sums, the reasons.
    Their average price and ours are taken over the deals where their price is known.
    """
    if competitors is None:
        competitors = competitor_accounts(user)
    accounts = list(competitors.values_list("pk", "name"))
    figures = {pk: CompetitorFigures(competitor_id=pk, name=name) for pk, name in accounts}
    if not figures:
        return []
    won = Q(opportunity__stage__is_won=True)
    lost = Q(opportunity__stage__is_lost=True)
    priced = Q(price__isnull=False)
    sums = (
        _rows(user, scope, figures)
        .values("competitor_id")
        .annotate(
            faced=Count("pk"),
            won=Count("pk", filter=won),
            lost=Count("pk", filter=lost),
            lost_to_them=Count("pk", filter=lost & Q(is_winner=True)),
            amount_won=Coalesce(
                Sum("opportunity__amount", filter=won), Value(ZERO), output_field=MONEY
            ),
            amount_lost=Coalesce(
                Sum("opportunity__amount", filter=lost), Value(ZERO), output_field=MONEY
            ),
            their_price=Avg("price", filter=priced),
            our_price=Avg("opportunity__amount", filter=priced),
        )
        .order_by()
    )
    for row in sums:
        item = figures[row["competitor_id"]]
        item.faced, item.won, item.lost = row["faced"], row["won"], row["lost"]
        item.lost_to_them = row["lost_to_them"]
        item.open = item.faced - item.won - item.lost
        item.amount_won, item.amount_lost = _money(row["amount_won"]), _money(row["amount_lost"])
        item.average_their_price = _money(row["their_price"])
        item.average_our_price = _money(row["our_price"])
    _add_loss_reasons(user, scope, figures)
    return sorted(figures.values(), key=lambda item: (-item.faced, item.name))


def _money(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _add_loss_reasons(user, scope: ReportScope, figures: dict[int, CompetitorFigures]) -> None:
    labels = dict(CloseReason.choices)
    reasons = (
        _rows(user, scope, figures)
        .filter(opportunity__stage__is_lost=True)
        .values("competitor_id", "opportunity__close_reason")
        .annotate(count=Count("pk"))
        .order_by("competitor_id", "-count", "opportunity__close_reason")
    )
    for row in reasons:
        item = figures[row["competitor_id"]]
        if len(item.loss_reasons) >= TOP_REASONS:
            continue
        code = row["opportunity__close_reason"] or ""
        item.loss_reasons.append(
            {"code": code, "label": str(labels.get(code, "—")), "count": row["count"]}
        )


def competitor_deals(user, scope: ReportScope, competitor: Account, outcome: str = ""):
    """Return the deals a competitor was on (won, lost or open ones), for the drill-down."""
    rows = _rows(user, scope, [competitor.pk]).select_related(
        "opportunity__stage", "opportunity__owner", "opportunity__account"
    )
    if outcome == "won":
        rows = rows.filter(opportunity__stage__is_won=True)
    elif outcome == "lost":
        rows = rows.filter(opportunity__stage__is_lost=True)
    elif outcome == "open":
        rows = rows.filter(opportunity__stage__is_won=False, opportunity__stage__is_lost=False)
    return rows.order_by("-opportunity__created_at", "-pk")
