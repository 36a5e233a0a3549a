"""Screens of automation: the rules (settings) and the runs monitor. Administrators only."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from guanxi.core import registry
from guanxi.core.services import StaleRecord
from guanxi.web.views.decorators import settings_required
from guanxi.workflow import automation_engine, automation_queries, automation_triggers
from guanxi.workflow.automation_forms import (
    ActionRow,
    AutomationRuleForm,
    RunFilterForm,
    action_rows_from_post,
    action_rows_from_rule,
    entity_choices,
    trigger_form,
)
from guanxi.workflow.automation_models import AutomationRule, AutomationRun, RunStatus
from guanxi.workflow.automation_services import (
    RuleData,
    automation_rule_delete,
    automation_rule_dry_run,
    automation_rule_save,
    automation_rule_toggle,
    automation_rule_validate,
)

PAGE = 50


def _settings(request, template: str, context: dict, status: int = 200, section="automation"):
    return render(request, template, {"settings_section": section, **context}, status=status)


@settings_required
def rule_list(request):
    """List the rules with their trigger, state and counts."""
    rules = list(automation_queries.rule_list())
    for rule in rules:
        entity = registry.find(rule.entity)
        rule.entity_label = entity.verbose_name_plural if entity else rule.entity
        rule.trigger_label = automation_triggers.describe(
            rule.entity, rule.trigger, rule.trigger_params or {}
        )
    return _settings(request, "workflow/automation/rules.html", {"rules": rules})


@settings_required
def rule_edit(request, pk: int | None = None):
    """Create or change a rule: entity, trigger and its settings, conditions, actions."""
    rule = get_object_or_404(AutomationRule, pk=pk) if pk else None
    entity_name = rule.entity if rule else request.POST.get("entity") or request.GET.get("entity")
    if entity_name and registry.find(entity_name) is None:
        raise Http404
    if not entity_name:
        return _settings(
            request,
            "workflow/automation/choose_entity.html",
            {"entities": entity_choices(), "heading": _("New automation rule")},
        )
    if request.method == "POST":
        return _save(request, rule, entity_name)
    initial = {"owner": request.user.pk, "is_active": True, "order": 100}
    if rule:
        initial = {
            "name": rule.name,
            "description": rule.description,
            "trigger": rule.trigger,
            "conditions": rule.conditions,
            "owner": rule.owner_id,
            "order": rule.order,
            "is_active": rule.is_active,
            "log_skipped": rule.log_skipped,
        }
    form = AutomationRuleForm(initial=initial, entity_name=entity_name)
    kind = rule.trigger if rule else automation_triggers.kinds_for(entity_name)[0][0]
    return _editor(
        request,
        rule,
        entity_name,
        form,
        trigger_form(kind, entity_name, params=rule.trigger_params if rule else {}),
        action_rows_from_rule(rule.actions if rule else [], entity_name),
    )


def _editor(request, rule, entity_name, form, trigger, rows, errors=(), status=200):
    entity = registry.get(entity_name)
    return _settings(
        request,
        "workflow/automation/rule_form.html",
        {
            "form": form,
            "rule": rule,
            "entity": entity,
            "trigger_form": trigger,
            "rows": rows,
            "next_index": max([row.index for row in rows], default=-1) + 1,
            "action_choices": ActionRow(index=0, entity_name=entity_name, key="").choices,
            "errors": errors,
            "heading": rule.name if rule else _("New automation rule"),
        },
        status=status,
    )


def _save(request, rule, entity_name):
    form = AutomationRuleForm(request.POST, entity_name=entity_name)
    kind = request.POST.get("trigger", "")
    trigger = trigger_form(kind, entity_name, data=request.POST)
    rows, _removed = action_rows_from_post(request.POST, entity_name)
    valid = form.is_valid()
    valid = trigger.is_valid() and valid
    valid = all([row.is_valid() for row in rows]) and valid
    errors: list[str] = []
    if valid:
        data = RuleData(
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            entity=entity_name,
            trigger=kind,
            trigger_params=trigger.params(),
            conditions=form.cleaned_data["conditions"],
            actions=[{"type": row.key, "params": row.params()} for row in rows],
            is_active=form.cleaned_data["is_active"],
            log_skipped=form.cleaned_data["log_skipped"],
            order=form.cleaned_data["order"],
            owner_id=form.cleaned_data["owner"].pk,
        )
        cleaned, problems = automation_rule_validate(data)
        errors = [message for messages_ in problems.values() for message in messages_]
        if not errors:
            version = request.POST.get("version")
            try:
                saved = automation_rule_save(
                    actor=request.user,
                    rule=rule,
                    cleaned=cleaned,
                    version=int(version) if version and version.isdigit() else None,
                )
            except StaleRecord:
                errors = [str(StaleRecord.message)]
            else:
                messages.success(
                    request, _("The automation rule “%(name)s” was saved.") % {"name": saved.name}
                )
                return redirect("web:automation_rule_list")
    elif not rows:
        errors = [_("Add at least one action.")]
    for index, row in enumerate(rows):
        row.position = index + 1
    return _editor(request, rule, entity_name, form, trigger, rows, errors=errors, status=400)


@settings_required
def trigger_fields(request):
    """Return the settings fields of the chosen trigger kind (HTMX)."""
    entity_name = request.GET.get("entity", "")
    if registry.find(entity_name) is None:
        raise Http404
    form = trigger_form(request.GET.get("trigger", ""), entity_name)
    return render(
        request, "workflow/automation/partials/trigger_fields.html", {"trigger_form": form}
    )


@settings_required
def action_row(request):
    """Return one action row with the parameter form of the chosen type (HTMX)."""
    entity_name = request.GET.get("entity", "")
    if registry.find(entity_name) is None:
        raise Http404
    raw = request.GET.get("index", "0")
    index = int(raw) if raw.isdigit() else 0
    row = ActionRow(
        index=index,
        entity_name=entity_name,
        key=request.GET.get("type") or request.GET.get(f"action-{index}-type", ""),
    )
    # The row keeps the position typed in it when its type changes; a new row comes last.
    position = request.GET.get(f"action-{index}-position") or request.GET.get("position", "")
    row.position = int(position) if position.isdigit() else index + 1
    return render(
        request, "workflow/automation/partials/action_row.html", {"row": row, "entity": entity_name}
    )


@settings_required
def rule_test(request, pk: int):
    """Show what the rule would do on one record (by its id), without doing it (HTMX)."""
    rule = get_object_or_404(AutomationRule, pk=pk)
    raw = request.GET.get("record", "").strip()
    record = None
    if raw.isdigit():
        record = automation_engine.load_record(rule.entity, int(raw))
    result = automation_rule_dry_run(rule, record) if record is not None else None
    return render(
        request,
        "workflow/automation/partials/dry_run.html",
        {"rule": rule, "result": result, "asked": raw},
        status=200 if result or not raw else 404,
    )


@settings_required
@require_POST
def rule_toggle(request, pk: int):
    rule = get_object_or_404(AutomationRule, pk=pk)
    automation_rule_toggle(actor=request.user, rule=rule, active=not rule.is_active)
    return redirect("web:automation_rule_list")


@settings_required
def rule_delete(request, pk: int):
    rule = get_object_or_404(AutomationRule, pk=pk)
    if request.method == "POST":
        automation_rule_delete(actor=request.user, rule=rule)
        messages.success(request, _("The automation rule was deleted."))
        return redirect("web:automation_rule_list")
    return _settings(
        request,
        "customers/settings/confirm_delete.html",
        {
            "question": _("Delete the automation rule “%(name)s” and its run history?")
            % {"name": rule.name},
            "back": reverse("web:automation_rule_list"),
        },
    )


@settings_required
def run_list(request):
    """List rule runs with their outcome, filterable; per-rule counts and average duration."""
    rules = list(automation_queries.rule_list())
    filters = RunFilterForm(request.GET or None, rules=rules)
    values = filters.cleaned_data if filters.is_valid() else {}
    runs = automation_queries.run_list(
        rule=values.get("rule"),
        status=values.get("status", ""),
        entity=values.get("entity", ""),
        date_from=values.get("date_from"),
        date_to=values.get("date_to"),
    )
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    rows, more = automation_queries.page(runs, limit=PAGE, offset=offset)
    query = request.GET.copy()
    query.pop("offset", None)
    return _settings(
        request,
        "workflow/automation/runs.html",
        {
            "filters": filters,
            "runs": rows,
            "rules": rules,
            "more": more,
            "next_offset": offset + PAGE,
            "previous_offset": max(0, offset - PAGE) if offset else None,
            "query": query.urlencode(),
        },
        section="automation_runs",
    )


@settings_required
def run_detail(request, pk: int):
    run = get_object_or_404(AutomationRun.objects.select_related("rule"), pk=pk)
    entity = registry.find(run.entity)
    record_url = None
    if entity is not None:
        try:
            record_url = reverse(entity.url_name("detail"), args=[run.record_id])
        except Exception:
            record_url = None
    return _settings(
        request,
        "workflow/automation/run_detail.html",
        {"run": run, "entity": entity, "record_url": record_url},
        section="automation_runs",
    )


@settings_required
@require_POST
def run_retry(request):
    """Queue failed runs again (one from its page, or the ones ticked in the list)."""
    ids = [int(one) for one in request.POST.getlist("run") if one.isdigit()]
    count = automation_engine.run_retry(run_ids=ids)
    if count:
        messages.success(
            request,
            ngettext("%(n)s failed run will run again.", "%(n)s failed runs will run again.", count)
            % {"n": count},
        )
    else:
        messages.error(request, _("Choose failed runs to retry."))
    if len(ids) == 1 and request.POST.get("back") == "detail":
        return redirect("web:automation_run_detail", pk=ids[0])
    return redirect(reverse("web:automation_run_list") + f"?status={RunStatus.FAILED}")
