"""Screens of competitors (SAL-5): the competitive-info tab, products, win/loss analysis."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.models import Department, User
from guanxi.core.permissions import require
from guanxi.customers.choices import AccountType
from guanxi.sales import competitor_queries, competitor_services
from guanxi.sales.calllist_forms import CompetitorProductForm
from guanxi.sales.competitor_period import ReportInputError, ReportScope, report_scope
from guanxi.sales.models import CompetitorProduct
from guanxi.web.views.records import record_or_404

DRILL_DOWN_LIMIT = 200
TAB_DEALS = 50


def is_competitor(account, user=None) -> bool:
    return account.account_type == AccountType.COMPETITOR


def competitor_tab(account, user) -> dict:
    """Return a competitor's products, its all-time figures and the latest deals it was on."""
    figures = competitor_queries.competitor_analysis(
        user,
        ReportScope(),
        competitors=competitor_queries.competitor_accounts(user).filter(pk=account.pk),
    )
    return {
        "products": list(CompetitorProduct.objects.filter(competitor=account)),
        "figures": figures[0] if figures else None,
        "deals": list(
            competitor_queries.competitor_deals(user, ReportScope(), account)[:TAB_DEALS]
        ),
    }


def scope_from_request(request) -> tuple[ReportScope, dict]:
    """Return the report scope of a request's query, or the default one and the errors."""
    try:
        return report_scope(request.GET), {}
    except ReportInputError as error:
        return report_scope({}), error.errors


def filter_choices() -> dict:
    return {
        "owners": User.objects.filter(is_active=True).order_by("username"),
        "departments": Department.objects.order_by("name"),
    }


@login_required
def competitor_analysis(request):
    """Show win/loss by competitor over a period and scope, with a drill-down to the deals."""
    require(request.user, "opportunity", Action.VIEW)
    scope, errors = scope_from_request(request)
    rows = competitor_queries.competitor_analysis(request.user, scope)
    context = {
        "scope": scope,
        "errors": errors,
        "rows": rows,
        **filter_choices(),
    }
    chosen = request.GET.get("competitor", "")
    if chosen.isdigit():
        competitor = competitor_queries.competitor_accounts(request.user).filter(pk=chosen).first()
        if competitor is None:
            raise Http404
        outcome = request.GET.get("outcome", "")
        deals = competitor_queries.competitor_deals(request.user, scope, competitor, outcome)
        context.update(
            competitor=competitor,
            outcome=outcome,
            deals=list(deals[:DRILL_DOWN_LIMIT]),
            deals_capped=DRILL_DOWN_LIMIT,
        )
    return render(request, "sales/competitor/analysis.html", context, status=400 if errors else 200)


def _product_form_page(request, competitor, form, product=None):
    context = {
        "competitor": competitor,
        "form": form,
        "product": product,
        "entity": registry.get("account"),
    }
    return render(
        request, "sales/competitor/product_form.html", context, status=400 if form.errors else 200
    )


def _tab_url(competitor) -> str:
    return reverse("web:account_detail", args=[competitor.pk]) + "?tab=competitive"


@login_required
def competitor_product_create(request, pk: int):
    """Add a competing product to a competitor account the user may edit."""
    competitor = record_or_404(registry.get("account"), request.user, pk, Action.EDIT)
    if not is_competitor(competitor):
        raise Http404
    form = CompetitorProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            competitor_services.competitor_product_save(
                actor=request.user, competitor=competitor, form=form
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The competing product was saved."))
            return redirect(_tab_url(competitor))
    return _product_form_page(request, competitor, form)


def _product_or_404(request, pk: int) -> CompetitorProduct:
    product = CompetitorProduct.objects.filter(pk=pk).first()
    if product is None:
        raise Http404
    record_or_404(registry.get("account"), request.user, product.competitor_id, Action.EDIT)
    return product


@login_required
def competitor_product_edit(request, pk: int):
    """Change a competing product of a competitor the user may edit."""
    product = _product_or_404(request, pk)
    form = CompetitorProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        competitor_services.competitor_product_save(
            actor=request.user, competitor=product.competitor, form=form
        )
        messages.success(request, _("The competing product was saved."))
        return redirect(_tab_url(product.competitor))
    return _product_form_page(request, product.competitor, form, product)


@login_required
@require_POST
def competitor_product_delete(request, pk: int):
    product = _product_or_404(request, pk)
    competitor = product.competitor
    competitor_services.competitor_product_delete(actor=request.user, product=product)
    messages.success(request, _("The competing product was deleted."))
    return redirect(_tab_url(competitor))
