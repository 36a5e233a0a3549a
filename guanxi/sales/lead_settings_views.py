"""Settings screens of leads: assignment rules, scoring rules, web-to-lead forms, the pool."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.jobs import job_start
from guanxi.sales.lead_forms import (
    AssignmentRuleForm,
    PoolSettingsForm,
    ScoringRuleForm,
    WebFormForm,
)
from guanxi.sales.lead_services import pool_settings
from guanxi.sales.models import LeadAssignmentRule, LeadScoringRule, LeadWebForm
from guanxi.web.views.decorators import settings_required
from guanxi.workflow.action_common import describe_conditions

SECTIONS = {"rules": "lead_rules", "scoring": "lead_scoring", "web_forms": "lead_web_forms"}
KINDS = {
    "rules": (LeadAssignmentRule, AssignmentRuleForm, "web:lead_rules"),
    "scoring": (LeadScoringRule, ScoringRuleForm, "web:lead_scoring"),
    "web_forms": (LeadWebForm, WebFormForm, "web:lead_web_forms"),
}


def _save(request, form):
    with transaction.atomic():
        saved = form.save(commit=False)
        if saved.pk is None:
            saved.created_by = request.user
        saved.updated_by = request.user
        saved.save()
        form.save_m2m()
    return saved


@settings_required
def rules_list(request):
    """List the assignment rules in the order they are tried, and the pool's settings."""
    rules = list(LeadAssignmentRule.objects.select_related("user", "team"))
    texts = describe_conditions("lead", [rule.conditions for rule in rules])
    for rule, text in zip(rules, texts, strict=True):
        rule.conditions_description = text
    return render(
        request,
        "sales/leads/settings/rules.html",
        {"settings_section": "lead_rules", "rules": rules, "pool": pool_settings()},
    )


@settings_required
def scoring_list(request):
    """List the scoring rules."""
    return render(
        request,
        "sales/leads/settings/scoring.html",
        {"settings_section": "lead_scoring", "rules": LeadScoringRule.objects.all()},
    )


@settings_required
def web_forms_list(request):
    """List the web-to-lead forms with their snippets."""
    forms = LeadWebForm.objects.select_related("owner")
    base = request.build_absolute_uri("/")[:-1]
    return render(
        request,
        "sales/leads/settings/web_forms.html",
        {"settings_section": "lead_web_forms", "web_forms": forms, "base": base},
    )


@settings_required
def settings_edit(request, kind: str, pk: int | None = None):
    """Create or change an assignment rule, a scoring rule or a web-to-lead form."""
    if kind not in KINDS:
        raise Http404
    model, form_class, back = KINDS[kind]
    instance = get_object_or_404(model, pk=pk) if pk else None
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form)
        messages.success(request, _("“%(name)s” was saved.") % {"name": saved})
        if kind == "scoring":
            _rescore(request)
        return redirect(back)
    heading = str(model._meta.verbose_name).capitalize()
    return render(
        request,
        "customers/settings/form.html",
        {
            "settings_section": SECTIONS[kind],
            "form": form,
            "heading": heading,
            "back": reverse(back),
        },
        status=400 if form.errors else 200,
    )


@settings_required
@require_POST
def settings_delete(request, kind: str, pk: int):
    if kind not in KINDS:
        raise Http404
    model, _form_class, back = KINDS[kind]
    instance = get_object_or_404(model, pk=pk)
    instance.delete()
    messages.success(request, _("“%(name)s” was deleted.") % {"name": instance})
    if kind == "scoring":
        _rescore(request)
    return redirect(back)


def _rescore(request) -> None:
    job_start(user=request.user, kind="leads_rescore", title=_("Recompute lead scores"), params={})


@settings_required
def pool_edit(request):
    """Choose the roles that see the lead pool and the most open leads a user may hold."""
    form = PoolSettingsForm(request.POST or None, instance=pool_settings())
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The lead pool settings were saved."))
        return redirect("web:lead_rules")
    return render(
        request,
        "customers/settings/form.html",
        {
            "settings_section": "lead_rules",
            "form": form,
            "heading": _("Lead pool"),
            "back": reverse("web:lead_rules"),
        },
        status=400 if form.errors else 200,
    )
