"""Tabs that competitors and sales partners add to a customer's page, and their menu links."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import can
from guanxi.core.registry import Link, Tab
from guanxi.sales.competitor_views import competitor_tab, is_competitor
from guanxi.sales.partner_views import is_partner, partner_tab

COMPETITIVE_TAB = Tab(
    "competitive",
    _("Competitive info"),
    "sales/competitor/partials/tab.html",
    competitor_tab,
    visible=is_competitor,
)
PARTNER_TAB = Tab(
    "partner",
    _("Partner"),
    "sales/partner/partials/tab.html",
    partner_tab,
    visible=is_partner,
)

_account = registry.get("account")
for _tab in (COMPETITIVE_TAB, PARTNER_TAB):
    if all(existing.key != _tab.key for existing in _account.tabs):
        _account.tabs.insert(0, _tab)
_account.extra_history_fields.setdefault("competing_products", (_("Competing products"), None))

registry.register_link(
    "menu",
    Link(
        "web:competitor_analysis",
        _("Win/loss by competitor"),
        icon="swords",
        order=41,
        visible=lambda user: can(user, "opportunity", Action.VIEW),
    ),
)
registry.register_link(
    "menu",
    Link(
        "web:partner_performance",
        _("Partner performance"),
        icon="building-store",
        order=42,
        visible=lambda user: can(user, "account", Action.VIEW),
    ),
)
