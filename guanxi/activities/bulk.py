"""Bulk-create an activity or task for every record of a selection (CUS-7, issue 4).

"Call every VIP customer this week": one activity per selected customer (or contact, or
any linkable record), linked to it, owned by the record's owner or by one chosen user.
Up to INLINE_LIMIT records it is done at once; larger selections, even all 100,000
customers matching a filter, run as a background job with a progress bar. Rows are
written in batches with one INSERT per table.
"""

from __future__ import annotations

import datetime
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.activities import links, richtext
from guanxi.activities.choices import ActivityKind, ActivityStatus, Priority
from guanxi.activities.forms import DATETIME_WIDGET
from guanxi.activities.models import Activity
from guanxi.core import audit, queries, registry, search
from guanxi.core.choices import Action, AuditAction
from guanxi.core.jobs import job_handler, job_start
from guanxi.core.models import AuditEntry, SearchToken, User
from guanxi.core.permissions import can, require
from guanxi.core.registry import Entity
from guanxi.web.views import bulk_actions
from guanxi.web.views.bulk import INLINE_LIMIT, _as_querydict, _selection_params, selection
from guanxi.web.views.records import entity_or_404

BATCH = 1000
RECORD_OWNER = "record_owner"


class BulkActivityForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    due_at = forms.DateTimeField(
        label=gettext_lazy("Due or starts at"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    duration = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"),
        required=False,
        min_value=5,
        max_value=24 * 60,
        help_text=gettext_lazy("For calls, meetings and visits."),
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        choices=Priority.choices,
        initial=Priority.NORMAL,
        required=False,
    )
    owner = forms.ChoiceField(label=gettext_lazy("Owner"))
    remind_before = forms.IntegerField(
        label=gettext_lazy("Remind before (minutes)"), required=False, min_value=0
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        choices = [(RECORD_OWNER, _("The owner of each record"))]
        if can(user, "activity", Action.ASSIGN):
            choices += [
                (str(pk), name)
                for pk, name in User.objects.filter(is_active=True)
                .order_by("username")
                .values_list("pk", "username")
            ]
        else:
            choices.append((str(user.pk), str(user)))
        self.fields["owner"].choices = choices
        self.fields["owner"].initial = RECORD_OWNER

    def clean_description(self) -> str:
        return richtext.clean_html(self.cleaned_data.get("description") or "")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind in (ActivityKind.MEETING, ActivityKind.VISIT) and not cleaned.get("due_at"):
            self.add_error("due_at", _("A meeting or visit needs a start time."))
        return cleaned

    def values(self) -> dict:
        """Return the form's choices as JSON-friendly values a job can carry."""
        data = dict(self.cleaned_data)
        data["due_at"] = data["due_at"].isoformat() if data.get("due_at") else None
        return data


def _activity(values: dict, *, actor: User, owner_id, link_entity: str, record) -> Activity:
    moment = datetime.datetime.fromisoformat(values["due_at"]) if values.get("due_at") else None
    kind = values["kind"]
    activity = Activity(
        kind=kind,
        subject=values["subject"],
        description=values.get("description") or "",
        priority=values.get("priority") or Priority.NORMAL,
        status=ActivityStatus.PLANNED,
        owner_id=owner_id,
        link_entity=link_entity,
        link_id=record.pk,
        account_id=links.account_id_of(link_entity, record),
        remind_before=values.get("remind_before"),
        created_by=actor,
        updated_by=actor,
    )
    if moment is not None:
        if kind == ActivityKind.TASK or kind in (ActivityKind.NOTE, ActivityKind.EMAIL):
            activity.due_at = moment
        else:
            activity.starts_at = moment
            minutes = values.get("duration") or 30
            activity.ends_at = moment + datetime.timedelta(minutes=minutes)
    activity.derive_fields()
    return activity


def activities_bulk_create(
    *, actor: User, entity: Entity, queryset, values: dict, progress=None
) -> int:
    """Create one activity per selected record, in batches; return how many were made.

    Each batch is one transaction with one INSERT per table (activities, history, search
    keys); records whose owner the activity cannot be given to are counted as skipped.
    """
    require(actor, "activity", Action.CREATE)
    owner_choice = values.get("owner") or RECORD_OWNER
    may_assign = can(actor, "activity", Action.ASSIGN)
    batch_id = uuid.uuid4().hex
    created = 0
    done = 0
    batch: list = []

    def flush(records) -> int:
        activities = []
        for record in records:
            if owner_choice == RECORD_OWNER:
                owner_id = getattr(record, "owner_id", None) or actor.pk
            else:
                owner_id = int(owner_choice)
            if owner_id != actor.pk and not may_assign:
                owner_id = actor.pk
            activities.append(
                _activity(
                    values, actor=actor, owner_id=owner_id, link_entity=entity.name, record=record
                )
            )
        with transaction.atomic():
            Activity.objects.bulk_create(activities, batch_size=BATCH)
            AuditEntry.objects.bulk_create(
                [
                    AuditEntry(
                        entity="activity",
                        object_id=activity.pk,
                        object_repr=str(activity)[:200],
                        action=AuditAction.CREATE,
                        actor=actor,
                        batch=batch_id,
                        changes={
                            key: [None, value]
                            for key, value in audit.snapshot(activity).items()
                            if value not in (None, "")
                        },
                    )
                    for activity in activities
                ],
                batch_size=BATCH,
            )
            keys = search.clean_keys(registry.get("activity").search_keys(activities[0]))
            SearchToken.objects.bulk_create(
                [
                    SearchToken(entity="activity", object_id=activity.pk, token=key)
                    for activity in activities
                    for key in keys
                ],
                batch_size=BATCH * 4,
            )
        return len(activities)

    rows = queryset.order_by("pk")
    for record in rows.iterator(chunk_size=BATCH):
        batch.append(record)
        if len(batch) == BATCH:
            created += flush(batch)
            done += len(batch)
            batch = []
            if progress is not None:
                progress(done)
    if batch:
        created += flush(batch)
        done += len(batch)
        if progress is not None:
            progress(done)
    return created


@login_required
@require_POST
def bulk_activity(request, entity_name: str):
    """Ask what activity to create, then create it for each selected record."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.VIEW)
    require(request.user, "activity", Action.CREATE)
    queryset = selection(entity, request.user, request.POST, Action.VIEW)
    count, more = queries.capped_count(queryset)
    form = BulkActivityForm(request.POST if "create" in request.POST else None, user=request.user)
    if "create" in request.POST and form.is_valid():
        values = form.values()
        if more or count > INLINE_LIMIT:
            job = job_start(
                user=request.user,
                kind="bulk_activity",
                title=_("Activities for %(entity)s") % {"entity": entity.verbose_name_plural},
                params={
                    "entity": entity.name,
                    "values": values,
                    "selection": _selection_params(request),
                },
            )
            return redirect("web:job_detail", pk=job.pk)
        made = activities_bulk_create(
            actor=request.user, entity=entity, queryset=queryset, values=values
        )
        messages.success(
            request,
            _("%(count)s activities were created.") % {"count": made},
        )
        return redirect(registry.get("activity").url_name("list"))
    return render(
        request,
        "activities/bulk_activity.html",
        {
            "entity": entity,
            "current_entity": entity,
            "form": form,
            "count": count,
            "count_more": more,
            "selection": _selection_params(request),
        },
        status=400 if form.is_bound else 200,
    )


@job_handler("bulk_activity")
def run_bulk_activity(job, progress) -> dict:
    entity = registry.get(job.params["entity"])
    selected = selection(entity, job.user, _as_querydict(job.params["selection"]), Action.VIEW)
    progress.set_total(selected.count())
    made = activities_bulk_create(
        actor=job.user,
        entity=entity,
        queryset=selected,
        values=job.params["values"],
        progress=progress,
    )
    return {"count": made, "message": _("%(count)s activities were created.") % {"count": made}}


bulk_actions.register(
    bulk_actions.BulkAction(
        key="activity",
        label=gettext_lazy("Create an activity or task"),
        icon="calendar-plus",
        view=bulk_activity,
        action=Action.VIEW,
        also_needs=("activity", Action.CREATE),
        applies=lambda entity: links.linkable(entity.name) is not None,
    )
)
