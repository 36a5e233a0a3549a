"""Settings screens of public pools (公海设置), for administrators."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.customers.forms import PoolForm
from guanxi.customers.models import Pool
from guanxi.customers.pool_rules import pools_apply_rules
from guanxi.web.views.decorators import settings_required
from guanxi.workflow.action_common import describe_conditions


@settings_required
def pool_settings_list(request):
    """List the pools with who may use them, their rule and how many customers sit in them."""
    pools = list(
        Pool.objects.prefetch_related("roles", "departments").annotate(
            waiting=Count("accounts", filter=Q(accounts__owner__isnull=True))
        )
    )
    texts = describe_conditions("account", [pool.conditions for pool in pools])
    for pool, text in zip(pools, texts, strict=True):
        pool.conditions_description = text
    return render(
        request,
        "customers/settings/pools.html",
        {"settings_section": "pools", "pools": pools},
    )


@settings_required
def pool_settings_edit(request, pk: int | None = None):
    """Create or change a pool."""
    pool = get_object_or_404(Pool, pk=pk) if pk else None
    form = PoolForm(request.POST or None, instance=pool)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            pool = form.save(commit=False)
            if pool.pk is None:
                pool.created_by = request.user
            pool.updated_by = request.user
            pool.save()
            form.save_m2m()
        messages.success(request, _("The public pool “%(name)s” was saved.") % {"name": pool})
        return redirect("web:pool_settings")
    title = _("Edit public pool") if pool else _("New public pool")
    return render(
        request,
        "customers/settings/pool_form.html",
        {"settings_section": "pools", "form": form, "pool": pool, "page_title": title},
        status=400 if form.errors else 200,
    )


@settings_required
@require_POST
def pool_settings_delete(request, pk: int):
    """Delete a pool no customer belongs to any more."""
    pool = get_object_or_404(Pool, pk=pk)
    if pool.accounts.exists():
        messages.error(
            request,
            _("“%(name)s” still has customers; move them to another pool first.") % {"name": pool},
        )
    else:
        pool.delete()
        messages.success(request, _("The public pool “%(name)s” was deleted.") % {"name": pool})
    return redirect("web:pool_settings")


@settings_required
@require_POST
def pool_rules_run(request):
    """Apply the return rules now instead of waiting for the night."""
    run = pools_apply_rules()
    messages.success(
        request,
        _("%(returned)s customers went back to their pools; %(warned)s owners were warned.")
        % {"returned": run.returned, "warned": run.warned},
    )
    return redirect("web:pool_settings")
