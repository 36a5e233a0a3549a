"""Screens of the loyalty programme: an account's points tab and the settings screens.

Settings: membership levels, earning rules and classification rules (administrators).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import can
from guanxi.customers import classification, points
from guanxi.customers import loyalty_services as services
from guanxi.customers.choices import PointsKind
from guanxi.customers.loyalty_forms import (
    ClassificationRuleForm,
    EarningRuleForm,
    MembershipLevelForm,
    PointsForm,
)
from guanxi.customers.models import (
    Account,
    ClassificationRule,
    EarningRule,
    MembershipLevel,
    PointsEntry,
)
from guanxi.web.views.decorators import settings_required
from guanxi.web.views.records import record_allows, record_or_404

LEDGER_PAGE = 25


def ledger_page(account: Account, before: int | None = None) -> tuple[list[PointsEntry], bool]:
    """Return one page of an account's ledger, newest first, and whether more follow."""
    entries = PointsEntry.objects.filter(account=account).select_related("actor")
    if before:
        entries = entries.filter(pk__lt=before)
    page = list(entries.order_by("-id")[: LEDGER_PAGE + 1])
    return page[:LEDGER_PAGE], len(page) > LEDGER_PAGE


def points_tab_context(account: Account, user, form: PointsForm | None = None) -> dict:
    """Return what the points tab shows: balance, level, the next level, the ledger."""
    entries, more = ledger_page(account)
    next_level = (
        MembershipLevel.objects.filter(threshold__gt=account.points_lifetime)
        .order_by("threshold")
        .first()
    )
    can_write = record_allows(registry.get("account"), user, account, Action.EDIT)
    return {
        "points_entries": entries,
        "points_more": more,
        "points_form": form or PointsForm(),
        "next_level": next_level,
        "points_to_next": next_level.threshold - account.points_lifetime if next_level else 0,
        "can_write_points": can_write,
        "can_adjust_points": can_write and can(user, "account", Action.ASSIGN),
    }


@login_required
def account_points(request, pk: int):
    """Show more of the ledger (GET) or write an entry by hand (POST)."""
    entity = registry.get("account")
    if request.method != "POST":
        account = record_or_404(entity, request.user, pk)
        raw = request.GET.get("before", "")
        if raw and not raw.isdigit():
            raise Http404
        before = int(raw) if raw else None
        entries, more = ledger_page(account, before)
        return render(
            request,
            "customers/partials/points_rows.html",
            {"record": account, "points_entries": entries, "points_more": more},
        )
    account = record_or_404(entity, request.user, pk, Action.EDIT)
    form = PointsForm(request.POST)
    status = _write_points(request, account, form) if form.is_valid() else 400
    if status == 200 and not request.htmx:
        return redirect(reverse("web:account_detail", args=[account.pk]) + "?tab=points")
    account.refresh_from_db()
    context = {
        "entity": entity,
        "record": account,
        "can_edit": True,
        **points_tab_context(account, request.user, form if status != 200 else None),
    }
    return render(request, "customers/partials/account_points.html", context, status=status)


def _write_points(request, account: Account, form: PointsForm) -> int:
    kind = form.cleaned_data["kind"]
    service = {
        PointsKind.EARN: points.points_earn,
        PointsKind.REDEEM: points.points_redeem,
        PointsKind.ADJUST: points.points_adjust,
    }[kind]
    try:
        entry = service(
            actor=request.user,
            account=account,
            points=form.cleaned_data["points"],
            reason=form.cleaned_data["reason"],
        )
    except points.PointsError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return 400
    except PermissionDenied:
        form.add_error("kind", _("You are not allowed to adjust points."))
        return 403
    messages.success(
        request,
        _("The points were recorded. The balance is now %(balance)s.")
        % {"balance": entry.balance_after},
    )
    return 200


# --- Settings: membership levels ------------------------------------------------------------


def _settings_render(request, template: str, section: str, context: dict, status: int = 200):
    return render(request, template, {"settings_section": section, **context}, status=status)


@settings_required
def level_list(request):
    return _settings_render(
        request,
        "customers/settings/levels.html",
        "membership_levels",
        {"levels": MembershipLevel.objects.all()},
    )


@settings_required
def level_edit(request, pk: int | None = None):
    level = get_object_or_404(MembershipLevel, pk=pk) if pk else None
    form = MembershipLevelForm(request.POST or None, instance=level)
    if request.method == "POST" and form.is_valid():
        services.level_save(actor=request.user, form=form)
        messages.success(request, _("The membership level was saved."))
        return redirect("web:membership_level_list")
    return _settings_render(
        request,
        "customers/settings/form.html",
        "membership_levels",
        {
            "form": form,
            "heading": level.display_name if level else _("New membership level"),
            "back": reverse("web:membership_level_list"),
        },
        status=400 if form.errors else 200,
    )


@settings_required
def level_delete(request, pk: int):
    level = get_object_or_404(MembershipLevel, pk=pk)
    if request.method == "POST":
        services.level_delete(actor=request.user, level=level)
        messages.success(request, _("The membership level was deleted."))
        return redirect("web:membership_level_list")
    return _confirm_delete(
        request,
        "membership_levels",
        _(
            "Delete the membership level “%(name)s”? "
            "Its members move to the level their points reach."
        )
        % {"name": level.display_name},
        reverse("web:membership_level_list"),
    )


def _confirm_delete(request, section: str, question: str, back: str):
    return _settings_render(
        request,
        "customers/settings/confirm_delete.html",
        section,
        {"question": question, "back": back},
    )


# --- Settings: earning rules ----------------------------------------------------------------


@settings_required
def earning_rule_list(request):
    return _settings_render(
        request,
        "customers/settings/earning_rules.html",
        "earning_rules",
        {"rules": EarningRule.objects.all()},
    )


@settings_required
def earning_rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(EarningRule, pk=pk) if pk else None
    form = EarningRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        services.earning_rule_save(actor=request.user, form=form)
        messages.success(request, _("The earning rule was saved."))
        return redirect("web:earning_rule_list")
    return _settings_render(
        request,
        "customers/settings/form.html",
        "earning_rules",
        {
            "form": form,
            "heading": rule.name if rule else _("New earning rule"),
            "back": reverse("web:earning_rule_list"),
        },
        status=400 if form.errors else 200,
    )


@settings_required
def earning_rule_delete(request, pk: int):
    rule = get_object_or_404(EarningRule, pk=pk)
    if request.method == "POST":
        services.earning_rule_delete(actor=request.user, rule=rule)
        messages.success(request, _("The earning rule was deleted."))
        return redirect("web:earning_rule_list")
    return _confirm_delete(
        request,
        "earning_rules",
        _("Delete the earning rule “%(name)s”? Points it gave stay in the ledgers.")
        % {"name": rule.name},
        reverse("web:earning_rule_list"),
    )


# --- Settings: classification rules ----------------------------------------------------------


@settings_required
def classification_rule_list(request):
    rules = [
        {
            "rule": rule,
            "conditions": [classification.describe_condition(c) for c in rule.conditions],
        }
        for rule in ClassificationRule.objects.all()
    ]
    return _settings_render(
        request,
        "customers/settings/classification_rules.html",
        "classification_rules",
        {"rules": rules},
    )


@settings_required
def classification_rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(ClassificationRule, pk=pk) if pk else None
    form = ClassificationRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        services.classification_rule_save(actor=request.user, form=form)
        messages.success(
            request,
            _(
                "The classification rule was saved. "
                "It applies tonight, or now with “Apply rules now”."
            ),
        )
        return redirect("web:classification_rule_list")
    return _settings_render(
        request,
        "customers/settings/classification_rule_form.html",
        "classification_rules",
        {
            "form": form,
            "heading": rule.name if rule else _("New classification rule"),
            "back": reverse("web:classification_rule_list"),
        },
        status=400 if form.errors else 200,
    )


@settings_required
def classification_rule_delete(request, pk: int):
    rule = get_object_or_404(ClassificationRule, pk=pk)
    if request.method == "POST":
        services.classification_rule_delete(actor=request.user, rule=rule)
        messages.success(request, _("The classification rule was deleted."))
        return redirect("web:classification_rule_list")
    return _confirm_delete(
        request,
        "classification_rules",
        _("Delete the classification rule “%(name)s”? Values it set stay until changed.")
        % {"name": rule.name},
        reverse("web:classification_rule_list"),
    )


@settings_required
@require_POST
def classification_apply(request):
    """Apply the rules to every account now, in the background, with a progress bar."""
    job = services.classification_apply_start(actor=request.user)
    return redirect("web:job_detail", pk=job.pk)
