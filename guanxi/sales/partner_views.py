"""Screens of sales partners (SAL-6): the partner tab and the partner performance report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from guanxi.core.choices import Action
from guanxi.core.permissions import can, require
from guanxi.sales import partner_queries
from guanxi.sales.competitor_period import ReportScope
from guanxi.sales.competitor_views import filter_choices, scope_from_request

TAB_ROWS = 50


def is_partner(account, user=None) -> bool:
    return partner_queries.is_partner(account)


def partner_tab(account, user) -> dict:
    """Return the leads and deals a partner registered, and its all-time figures."""
    figures = partner_queries.partner_performance(
        user, ReportScope(), partners=partner_queries.partner_accounts(user).filter(pk=account.pk)
    )
    leads = partner_queries.partner_leads(user, account) if can(user, "lead", Action.VIEW) else []
    deals = (
        partner_queries.partner_deals(user, account)
        if can(user, "opportunity", Action.VIEW)
        else []
    )
    return {
        "partner_figures": figures[0] if figures else None,
        "partner_leads": list(leads[:TAB_ROWS]),
        "partner_deals": list(deals[:TAB_ROWS]),
    }


@login_required
def partner_performance(request):
    """Show per partner the leads registered and converted, deals, wins and pipeline."""
    require(request.user, "account", Action.VIEW)
    scope, errors = scope_from_request(request)
    context = {
        "scope": scope,
        "errors": errors,
        "rows": partner_queries.partner_performance(request.user, scope),
        **filter_choices(),
    }
    return render(request, "sales/partner/performance.html", context, status=400 if errors else 200)
