"""The forecast (销售预测): target, won, weighted pipeline, best case and commit by period.

Every figure comes from the deals `Opportunity.objects.visible_to(user, "view")` returns:
- won: amount of won deals closed in the period;
- weighted: Σ amount × probability of open deals expected to close in the period;
- best case: amount of open deals in the commit and best-case categories;
- commit: amount of open deals in the commit category.
Deals in the "omitted" category count in none of the open figures. Only deals in the
default currency are added up; the others are totalled per currency, apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, F, Q, Sum

from guanxi.core.money import default_currency
from guanxi.sales.choices import ForecastCategory
from guanxi.sales.forecast_periods import Period
from guanxi.sales.models import Opportunity

CENT = Decimal("0.01")
ZERO = Decimal("0")
FIGURE_NAMES = ("won", "weighted", "best_case", "commit")


@dataclass
class Figures:
    """Hold one row's computed amounts."""

    won: Decimal = ZERO
    won_count: int = 0
    weighted: Decimal = ZERO
    best_case: Decimal = ZERO
    commit: Decimal = ZERO

    def add(self, other: Figures) -> None:
        for name in (*FIGURE_NAMES, "won_count"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class OwnerFigures:
    """Hold the figures per owner in the default currency, and other currencies apart."""

    currency: str
    by_owner: dict[int, Figures] = field(default_factory=dict)
    other_currencies: dict[str, Figures] = field(default_factory=dict)


def _cents(value) -> Decimal:
    """Return a sum as a Decimal with two places (SQLite's sums come back as they were)."""
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


def period_conditions(period: Period) -> tuple[Q, Q]:
    """Return the filters of won deals closed in the period and open deals closing in it."""
    start_at, end_at = period.moments()
    won = Q(stage__is_won=True, closed_at__gte=start_at, closed_at__lt=end_at)
    open_deals = Q(
        stage__is_won=False,
        stage__is_lost=False,
        expected_close__gte=period.start,
        expected_close__lt=period.end,
    ) & ~Q(forecast_category=ForecastCategory.OMITTED)
    return won, open_deals


def owner_figures(
    user, period: Period, *, owners: list[int] | None = None, deals=None
) -> OwnerFigures:
    """Compute the figures of each owner's visible deals for a period, in one query."""
    won, open_deals = period_conditions(period)
    queryset = deals if deals is not None else Opportunity.objects.visible_to(user, "view")
    if owners is not None:
        queryset = queryset.filter(owner_id__in=owners)
    commit = open_deals & Q(forecast_category=ForecastCategory.COMMIT)
    best = open_deals & Q(
        forecast_category__in=[ForecastCategory.COMMIT, ForecastCategory.BEST_CASE]
    )
    rows = (
        queryset.filter(won | open_deals)
        .order_by()
        .values("owner_id", "currency")
        .annotate(
            won=Sum("amount", filter=won),
            won_count=Count("id", filter=won),
            weighted=Sum(
                F("amount") * F("probability"),
                filter=open_deals,
                output_field=DecimalField(max_digits=24, decimal_places=2),
            ),
            best_case=Sum("amount", filter=best),
            commit=Sum("amount", filter=commit),
        )
    )
    result = OwnerFigures(currency=default_currency())
    for row in rows:
        figures = Figures(
            won=_cents(row["won"]),
            won_count=row["won_count"],
            weighted=(Decimal(row["weighted"] or 0) / 100).quantize(CENT, ROUND_HALF_UP),
            best_case=_cents(row["best_case"]),
            commit=_cents(row["commit"]),
        )
        if row["currency"] == result.currency:
            target = result.by_owner.setdefault(row["owner_id"], Figures())
        else:
            target = result.other_currencies.setdefault(row["currency"], Figures())
        target.add(figures)
    return result


def merge_other_currencies(parts: list[OwnerFigures]) -> dict[str, Figures]:
    totals: dict[str, Figures] = defaultdict(Figures)
    for part in parts:
        for code, figures in part.other_currencies.items():
            totals[code].add(figures)
    return dict(sorted(totals.items()))
