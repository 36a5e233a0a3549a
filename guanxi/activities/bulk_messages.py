"""Bulk "Send email" and "Send SMS" on the customer and contact lists, and the batch page.

The form shows how many of the selection will get the message and how many will not
(no address, opted out). Up to INLINE_LIMIT records the messages are written at once;
larger selections are written by a background job. Either way the user lands on the
bulk send's page, which follows its progress and lists each recipient's status.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.activities import batches, placeholders
from guanxi.activities.choices import Channel, MessageStatus
from guanxi.activities.models import MessageBatch, MessageTemplate
from guanxi.core import queries as core_queries
from guanxi.core import registry
from guanxi.core.choices import Action, JobStatus
from guanxi.core.jobs import job_handler, job_start
from guanxi.core.permissions import require
from guanxi.web.views import bulk_actions
from guanxi.web.views.bulk import INLINE_LIMIT, _as_querydict, _selection_params, selection
from guanxi.web.views.records import entity_or_404


class BulkSendForm(forms.Form):
    template = forms.ModelChoiceField(
        label=gettext_lazy("Template"), queryset=MessageTemplate.objects.none(), required=False
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Leave empty to send the template's text."),
    )

    def __init__(self, *args, channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = MessageTemplate.objects.filter(
            channel=channel, is_active=True
        )
        if channel == Channel.SMS:
            del self.fields["subject"]


def batch_start(*, actor, entity, queryset, channel, template, subject, body, selection_params):
    """Create the bulk send and write its messages now, or in a job for a large selection."""
    batch = batches.batch_create(
        actor=actor,
        channel=channel,
        template=template,
        subject=subject,
        body=body,
        entity=entity.name,
    )
    _count, more = core_queries.capped_count(queryset, INLINE_LIMIT)
    if more:
        job = job_start(
            user=actor,
            kind="message_batch",
            title=_("Bulk send to %(entity)s") % {"entity": entity.verbose_name_plural},
            params={"batch": batch.pk, "entity": entity.name, "selection": selection_params},
        )
        MessageBatch.objects.filter(pk=batch.pk).update(job=job)
        batch.job = job
    else:
        batches.batch_build(actor=actor, batch=batch, entity_name=entity.name, queryset=queryset)
    return batch


def _bulk_send(request, entity_name: str, channel: str):
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.VIEW)
    require(request.user, "activity", Action.CREATE)
    queryset = selection(entity, request.user, request.POST, Action.VIEW)
    sending_now = "send" in request.POST
    form = BulkSendForm(request.POST if sending_now else None, channel=channel)
    if sending_now and form.is_valid():
        template = form.cleaned_data["template"]
        try:
            batch = batch_start(
                actor=request.user,
                entity=entity,
                queryset=queryset,
                channel=channel,
                template=template,
                subject=form.cleaned_data.get("subject", ""),
                body=form.cleaned_data["body"],
                selection_params=_selection_params(request),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The bulk send has started."))
            return redirect("web:message_batch", pk=batch.pk)
    count, more = core_queries.capped_count(queryset)
    preview = batches.batch_preview(entity.name, queryset, channel)
    return render(
        request,
        "activities/bulk_send.html",
        {
            "entity": entity,
            "current_entity": entity,
            "form": form,
            "channel": channel,
            "count": count,
            "count_more": more,
            "preview": preview,
            "rate": batches.rate_for(channel),
            "placeholders": placeholders.available(),
            "selection": _selection_params(request),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def bulk_email(request, entity_name: str):
    return _bulk_send(request, entity_name, Channel.EMAIL)


@login_required
@require_POST
def bulk_sms(request, entity_name: str):
    return _bulk_send(request, entity_name, Channel.SMS)


@job_handler("message_batch")
def run_message_batch(job, progress) -> dict:
    entity = registry.get(job.params["entity"])
    batch = MessageBatch.objects.select_related("template").get(pk=job.params["batch"])
    selected = selection(entity, job.user, _as_querydict(job.params["selection"]), Action.VIEW)
    progress.set_total(selected.count())
    batch = batches.batch_build(
        actor=job.user, batch=batch, entity_name=entity.name, queryset=selected, progress=progress
    )
    return {
        "count": batch.total,
        "url": f"/messages/batches/{batch.pk}/",
        "message": _("%(count)s messages were prepared for sending.") % {"count": batch.total},
    }


def visible_batch(user, pk: int) -> MessageBatch:
    """Return a bulk send its creator (or an administrator) may follow, else 404."""
    batch = get_object_or_404(MessageBatch.objects.select_related("job", "template"), pk=pk)
    if not (user.is_superuser or batch.created_by_id == user.pk):
        raise Http404
    return batch


STATUS_FILTERS = (
    MessageStatus.SENT,
    MessageStatus.FAILED,
    MessageStatus.SKIPPED,
    MessageStatus.QUEUED,
)


@login_required
def batch_detail(request, pk: int):
    """Show a bulk send: counts, a progress bar, and each recipient's status."""
    batch = visible_batch(request.user, pk)
    building = batch.job is not None and batch.job.status in (JobStatus.PENDING, JobStatus.RUNNING)
    counts = batches.batch_counts(batch)
    context = {"batch": batch, "counts": counts, "building": building}
    if request.htmx and request.htmx_target == "batch-progress":
        return render(request, "activities/partials/batch_progress.html", context)
    status = request.GET.get("status", "")
    rows = batch.messages.select_related("contact").order_by("id")
    if status in STATUS_FILTERS:
        rows = rows.filter(status=status)
    number = request.GET.get("page", "1")
    number = int(number) if number.isdigit() and int(number) > 0 else 1
    page = list(rows[(number - 1) * 100 : number * 100 + 1])
    context.update(
        {
            "rows": page[:100],
            "number": number,
            "next": number + 1 if len(page) > 100 else None,
            "previous": number - 1 if number > 1 else None,
            "status": status,
            "statuses": [(value, MessageStatus(value).label) for value in STATUS_FILTERS],
        }
    )
    return render(request, "activities/batch_detail.html", context)


@login_required
@require_POST
def batch_retry(request, pk: int):
    """Queue a bulk send's failed messages again."""
    batch = visible_batch(request.user, pk)
    count = batches.batch_retry_failed(actor=request.user, batch=batch)
    messages.success(request, _("%(count)s failed messages were queued again.") % {"count": count})
    return redirect("web:message_batch", pk=batch.pk)


@login_required
def batch_list(request):
    """List the user's bulk sends (all of them for administrators)."""
    rows = MessageBatch.objects.select_related("created_by", "template").order_by("-created_at")
    if not request.user.is_superuser:
        rows = rows.filter(created_by=request.user)
    return render(request, "activities/batch_list.html", {"batches": rows[:100]})


def _applies(entity) -> bool:
    return entity.name in batches.BULK_ENTITIES


bulk_actions.register(
    bulk_actions.BulkAction(
        key="send_email",
        label=gettext_lazy("Send email"),
        icon="mail-forward",
        view=bulk_email,
        action=Action.VIEW,
        also_needs=("activity", Action.CREATE),
        applies=_applies,
    )
)
bulk_actions.register(
    bulk_actions.BulkAction(
        key="send_sms",
        label=gettext_lazy("Send SMS"),
        icon="message",
        view=bulk_sms,
        action=Action.VIEW,
        also_needs=("activity", Action.CREATE),
        applies=_applies,
    )
)
