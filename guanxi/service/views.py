"""Screens of customer care: the care calendar, a care task, statistics, plan settings."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.activities import calendar_grid
from guanxi.core.choices import Action
from guanxi.core.models import Department, User
from guanxi.core.permissions import require
from guanxi.service import occasions, queries, services, triggers
from guanxi.service.choices import Occasion
from guanxi.service.forms import CarePlanForm
from guanxi.service.models import CarePlan
from guanxi.web.views.decorators import settings_required

PREVIEW_DAYS = 7
PREVIEW_LIMIT = 100


def _date(raw: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw or "")
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@login_required
def care_calendar(request):
    """Show a month of care occasions: whose birthday or anniversary, who cares, done or not."""
    require(request.user, "activity", Action.VIEW)
    day = calendar_grid.parse_day(request.GET.get("date"))
    first = calendar_grid.first_weekday()
    weeks = calendar_grid.month_weeks(day, first)
    by_day = queries.care_on_days(request.user, weeks[0][0], weeks[-1][-1])
    today = timezone.localdate()
    grid = [
        [
            {
                "date": date,
                "in_month": date.month == day.month,
                "is_today": date == today,
                "tasks": by_day.get(date, []),
            }
            for date in week
        ]
        for week in weeks
    ]
    return render(
        request,
        "service/calendar.html",
        {
            "day": day,
            "weeks": grid,
            "weekday_names": weeks[0],
            "previous": calendar_grid.shift("month", day, -1),
            "following": calendar_grid.shift("month", day, 1),
            "today": today,
            "care_section": "calendar",
        },
    )


@login_required
def care_task_detail(request, pk: int):
    """Show one care task with its suggested message, ready to send (POST sends it)."""
    care_task = get_object_or_404(
        queries.visible_care_tasks(request.user).select_related(
            "plan__template", "owner", "contact__account", "account", "activity"
        ),
        pk=pk,
    )
    draft = services.care_draft(care_task, request.user)
    status = 200
    if request.method == "POST":
        try:
            services.care_send(
                actor=request.user,
                care_task=care_task,
                subject=request.POST.get("subject", ""),
                body=request.POST.get("body", ""),
            )
        except services.CareError as error:
            messages.error(request, error.message)
            draft.subject = request.POST.get("subject", "")
            draft.body = request.POST.get("body", "")
            status = 400
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(
                request,
                _("The message to %(address)s is on its way; the care is done.")
                % {"address": draft.to_address},
            )
            return redirect(reverse("web:care_task", args=[care_task.pk]))
    return render(
        request,
        "service/task.html",
        {"care": care_task, "draft": draft, "person": services.person_of(care_task)},
        status=status,
    )


@login_required
def care_stats(request):
    """Show care per owner and plan for a period: created, done, done on time, overdue."""
    require(request.user, "activity", Action.VIEW)
    today = timezone.localdate()
    period = request.GET.get("period", "month")
    start, end = queries.period_bounds(period, today)
    start = _date(request.GET.get("start")) or start
    end = _date(request.GET.get("end")) or end
    owner = _int(request.GET.get("owner"))
    department = _int(request.GET.get("department"))
    stats = queries.care_stats(
        request.user, start=start, end=end, owner=owner, department=department, today=today
    )
    condition = queries.care_scope_q(request.user)
    owners = User.objects.filter(is_active=True).order_by("username")
    if condition is not None:
        owners = owners.filter(pk__in=queries.visible_care_tasks(request.user).values("owner_id"))
    return render(
        request,
        "service/stats.html",
        {
            "stats": stats,
            "period": period,
            "owner": owner,
            "department": department,
            "owners": owners,
            "departments": Department.objects.order_by("path"),
            "care_section": "stats",
        },
    )


# --- Settings: care plans ---------------------------------------------------------------------


def _settings(request, template: str, context: dict, status: int = 200):
    return render(request, template, {"settings_section": "care_plans", **context}, status=status)


@settings_required
def plan_list(request):
    plans = list(
        CarePlan.objects.select_related("template", "assignee", "team").annotate(
            task_count=Count("tasks")
        )
    )
    dates = dict(occasions.all_date_field_choices())
    events = dict(triggers.choices())
    for plan in plans:
        plan.occasion_label = (
            dates.get(f"{plan.audience}:{plan.date_field}", plan.date_field)
            if plan.occasion == Occasion.YEARLY
            else events.get(plan.event_type, plan.event_type)
        )
    return _settings(request, "service/settings/plans.html", {"plans": plans})


@settings_required
def plan_edit(request, pk: int | None = None):
    plan = get_object_or_404(CarePlan, pk=pk) if pk else None
    form = CarePlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        plan = services.care_plan_save(actor=request.user, form=form)
        messages.success(request, _("The care plan “%(name)s” was saved.") % {"name": plan.name})
        return redirect("web:care_plan_preview", pk=plan.pk)
    return _settings(
        request,
        "service/settings/plan_form.html",
        {"form": form, "plan": plan, "heading": plan.name if plan else _("New care plan")},
        status=400 if form.errors else 200,
    )


@settings_required
def plan_delete(request, pk: int):
    plan = get_object_or_404(CarePlan, pk=pk)
    if request.method == "POST":
        services.care_plan_delete(actor=request.user, plan=plan)
        messages.success(request, _("The care plan was deleted."))
        return redirect("web:care_plan_list")
    return _settings(
        request,
        "customers/settings/confirm_delete.html",
        {
            "question": _(
                "Delete the care plan “%(name)s”? The tasks it created stay as tasks, "
                "but leave the care statistics."
            )
            % {"name": plan.name},
            "back": reverse("web:care_plan_list"),
        },
    )


def plan_preview_rows(plan: CarePlan, start: datetime.date) -> list[dict]:
    """Return who would get a task of a yearly plan in the week from `start`, and for whom."""
    if plan.occasion != Occasion.YEARLY or not plan.date_field:
        return []
    end = start + datetime.timedelta(days=PREVIEW_DAYS - 1 + plan.days_before)
    rows = []
    for found in occasions.find(plan, start, end, limit=PREVIEW_LIMIT):
        due = max(found.occasion - datetime.timedelta(days=plan.days_before), start)
        if due > start + datetime.timedelta(days=PREVIEW_DAYS - 1):
            continue
        rows.append(
            {
                "record": found.record,
                "occasion": found.occasion,
                "due": due,
                "owner": services.preview_assignee(plan, found.record),
            }
        )
    return rows


@settings_required
def plan_preview(request, pk: int):
    """Show who would get a task of a plan this week (nothing is created)."""
    plan = get_object_or_404(CarePlan.objects.select_related("team", "assignee"), pk=pk)
    start = timezone.localdate()
    return _settings(
        request,
        "service/settings/plan_preview.html",
        {
            "plan": plan,
            "rows": plan_preview_rows(plan, start),
            "start": start,
            "end": start + datetime.timedelta(days=PREVIEW_DAYS - 1),
            "limit": PREVIEW_LIMIT,
        },
    )


@settings_required
@require_POST
def plan_run(request):
    """Create the due care tasks now, as the daily run does."""
    result = services.care_run()
    messages.success(
        request,
        _("%(created)s care tasks were created; %(existing)s existed already.")
        % {"created": result.created, "existing": result.existing},
    )
    return redirect("web:care_plan_list")
