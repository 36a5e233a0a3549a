"""Screens special to activities: my day, and marking an activity done or open again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.activities import queries, services
from guanxi.activities.choices import ActivityStatus, Outcome
from guanxi.activities.models import Activity, ActivityAttachment
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.core.services import StaleRecord


@login_required
def my_day(request):
    """Show the user's overdue, today's and coming activities and tasks (我的一天)."""
    require(request.user, "activity", Action.VIEW)
    day = queries.my_day(request.user)
    return render(
        request,
        "activities/my_day.html",
        {
            "day": day,
            "entity": registry.get("activity"),
            "outcomes": Outcome.choices,
            "sections": [
                ("overdue", _("Overdue"), day.overdue, "red"),
                ("today", _("Today"), day.today, "blue"),
                ("upcoming", _("Next 7 days"), day.upcoming, "azure"),
                ("undated", _("No date"), day.undated, "secondary"),
                ("done", _("Done today"), day.done_today, "green"),
            ],
        },
    )


@login_required
@require_POST
def activity_status(request, pk: int, status: str):
    """Mark an activity done (with its outcome), cancelled, or planned again."""
    activity = get_object_or_404(Activity.objects.visible_to(request.user, Action.EDIT), pk=pk)
    if status not in ActivityStatus.values:
        return redirect(reverse("web:activity_detail", args=[pk]))
    outcome = request.POST.get("outcome", "")
    if outcome not in Outcome.values:
        outcome = ""
    version = request.POST.get("version")
    try:
        services.activity_set_status(
            actor=request.user,
            activity=activity,
            status=status,
            outcome=outcome,
            outcome_note=request.POST.get("outcome_note", "")[:300],
            expected_version=int(version) if version and version.isdigit() else None,
        )
    except StaleRecord:
        messages.error(request, StaleRecord.message)
    else:
        messages.success(
            request,
            _("“%(subject)s” is now %(status)s.")
            % {"subject": activity.subject, "status": ActivityStatus(status).label.lower()},
        )
    target = request.POST.get("next") or reverse("web:activity_detail", args=[pk])
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("web:activity_detail", args=[pk])
    return redirect(target)


MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


@login_required
@require_POST
def activity_attach(request, pk: int):
    """Attach an uploaded file to an activity the user may edit."""
    activity = get_object_or_404(Activity.objects.visible_to(request.user, Action.EDIT), pk=pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to attach."))
    elif upload.size > MAX_ATTACHMENT_BYTES:
        messages.error(
            request,
            _("The file is too large: attachments may be up to %(size)s MB.")
            % {"size": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
        )
    else:
        services.attachment_add(actor=request.user, activity=activity, upload=upload)
        messages.success(request, _("“%(name)s” was attached.") % {"name": upload.name})
    return redirect(reverse("web:activity_detail", args=[pk]))


@login_required
def activity_attachment(request, pk: int):
    """Send an attachment to a user who may see its activity."""
    attachment = get_object_or_404(
        ActivityAttachment.objects.filter(
            activity__in=Activity.objects.visible_to(request.user, Action.VIEW).values("pk")
        ),
        pk=pk,
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
