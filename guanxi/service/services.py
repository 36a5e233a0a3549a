"""Writes of customer care: plans, creating care tasks, sending the suggested message.

Care tasks are ordinary activities of kind task, linked to the contact or customer cared
for, so they appear in "my day", the calendars and the customer's timeline. Creating them
is idempotent: the `CareTask` row of a plan, a person and an occasion is unique, and a run
skips the ones that exist.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.activities import placeholders
from guanxi.activities.choices import ActivityKind, ActivityStatus, Channel
from guanxi.activities.messaging import message_queue, opted_out, render_template
from guanxi.activities.models import Activity, Message, MessageTemplate
from guanxi.core import audit, events, registry
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import ensure_in_scope
from guanxi.core.queries import filter_condition
from guanxi.core.services import record_written
from guanxi.service import occasions, triggers
from guanxi.service.choices import AssignTo, Audience, CareStatus, Occasion
from guanxi.service.models import CarePlan, CareTask

# The hour of the owner's day a care task is due.
DUE_HOUR = 9
CHUNK = 500


class CareError(Exception):
    """Raised when care cannot be given as asked; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Plans ----------------------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if not (actor.is_superuser or actor.is_staff):
        raise PermissionDenied


@transaction.atomic
def care_plan_save(*, actor: User, form) -> CarePlan:
    """Create or change a care plan from a valid form (administrators)."""
    _require_admin(actor)
    before = (
        None
        if form.instance.pk is None
        else audit.snapshot(CarePlan.objects.get(pk=form.instance.pk))
    )
    plan = form.save(commit=False)
    if plan.pk is None:
        plan.created_by = actor
    plan.updated_by = actor
    plan.save()
    after = audit.snapshot(plan)
    audit.record(
        actor=actor,
        entity="care_plan",
        instance=plan,
        action=AuditAction.CREATE if before is None else AuditAction.UPDATE,
        changes={k: [None, v] for k, v in after.items()}
        if before is None
        else audit.diff(before, after),
    )
    events.emit(
        "care_plan.created" if before is None else "care_plan.updated",
        id=plan.pk,
        actor_id=actor.pk,
    )
    return plan


@transaction.atomic
def care_plan_delete(*, actor: User, plan: CarePlan) -> None:
    """Delete a care plan and its care records; the tasks it created stay as activities."""
    _require_admin(actor)
    audit.record(
        actor=actor,
        entity="care_plan",
        instance=plan,
        action=AuditAction.DELETE,
        changes={"name": [plan.name, None]},
    )
    plan_id = plan.pk
    plan.delete()
    events.emit("care_plan.deleted", id=plan_id, actor_id=actor.pk)


# --- Who does it, what it says ----------------------------------------------------------------


def _team_member(plan: CarePlan) -> User | None:
    """Return the next member of the plan's team, in turn, and move the turn on."""
    if plan.team_id is None:
        return None
    members = list(plan.team.members.filter(is_active=True).order_by("pk"))
    if not members:
        return None
    locked = CarePlan.objects.select_for_update().get(pk=plan.pk)
    member = members[locked.round_robin_position % len(members)]
    CarePlan.objects.filter(pk=plan.pk).update(round_robin_position=locked.round_robin_position + 1)
    return member


def assignee_for(plan: CarePlan, record) -> User | None:
    """Return who gets a plan's task for a record: its owner, a named user or a team member."""
    if plan.assign_to == AssignTo.TEAM:
        return _team_member(plan) or plan.assignee
    if plan.assign_to == AssignTo.USER:
        return plan.assignee
    owner = record.owner
    if owner is None and hasattr(record, "account"):
        owner = record.account.owner
    if owner is not None and owner.is_active:
        return owner
    return plan.assignee


def preview_assignee(plan: CarePlan, record) -> str:
    """Say who would get a plan's task for a record, without taking a team member's turn."""
    if plan.assign_to == AssignTo.TEAM and plan.team_id:
        return _("%(team)s (in turn)") % {"team": plan.team}
    if plan.assign_to == AssignTo.USER:
        return str(plan.assignee or "—")
    owner = record.owner or (record.account.owner if hasattr(record, "account") else None)
    return str(owner or plan.assignee or "—")


def template_for(plan: CarePlan, language: str) -> MessageTemplate | None:
    """Return the plan's suggested template in the language wanted, when it has that variant."""
    template = plan.template
    if template is None or not language:
        return template
    if template.language == language:
        return template
    variant = MessageTemplate.objects.filter(
        channel=template.channel, name=template.name, language=language, is_active=True
    ).first()
    return variant or template


def _zone(user: User | None):
    name = (user.time_zone if user is not None else "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _person_parts(record):
    """Return (account, contact) of a contact or a customer."""
    from guanxi.customers.models import Contact

    if isinstance(record, Contact):
        return record.account, record
    return record, None


@dataclass
class Draft:
    """The suggested message of a care task, filled in and ready to send."""

    channel: str = ""
    to_address: str = ""
    subject: str = ""
    body: str = ""
    template: MessageTemplate | None = None


def care_draft(care_task: CareTask, user: User | None) -> Draft:
    """Return the suggested message of a care task filled from the person and the user."""
    record = person_of(care_task)
    template = template_for(care_task.plan, (user.language if user else "") or "")
    if template is None or record is None:
        return Draft()
    account, contact = _person_parts(record)
    subject, body = render_template(template, record=record, contact=contact, user=user)
    if template.channel == Channel.EMAIL:
        address = (contact.email if contact else "") or (account.email if account else "")
    else:
        address = (contact.mobile if contact else "") or (account.phone if account else "")
    return Draft(template.channel, address, subject, body, template)


def person_of(care_task: CareTask):
    if care_task.link_entity == "contact":
        return care_task.contact
    return care_task.account


def _description(draft: Draft, channel_label: str) -> str:
    if not draft.body:
        return ""
    parts = [f"<p><strong>{escape(_('Suggested message'))} ({escape(channel_label)})</strong></p>"]
    if draft.subject:
        parts.append(f"<p><strong>{escape(draft.subject)}</strong></p>")
    parts.append(linebreaks(escape(draft.body)))
    return "".join(parts)


# --- Creating care tasks ----------------------------------------------------------------------


@dataclass
class RunResult:
    created: int = 0
    existing: int = 0
    unassigned: int = 0
    plans: dict[int, int] = field(default_factory=dict)


def _create_task(plan: CarePlan, record, occasion: datetime.date, due: datetime.date) -> str:
    """Create one care task and its activity; return "created", "existing" or "unassigned"."""
    from guanxi.customers.models import Contact

    entity = "contact" if isinstance(record, Contact) else "account"
    if CareTask.objects.filter(
        plan=plan, link_entity=entity, link_id=record.pk, occasion_date=occasion
    ).exists():
        return "existing"
    try:
        with transaction.atomic():
            owner = assignee_for(plan, record)
            if owner is None:
                return "unassigned"
            _write_task(plan, record, entity, occasion, due, owner)
    except IntegrityError:
        return "existing"
    return "created"


def _write_task(plan, record, entity: str, occasion, due, owner: User) -> CareTask:
    account, contact = _person_parts(record)
    care_task = CareTask(
        plan=plan,
        link_entity=entity,
        link_id=record.pk,
        account=account,
        contact=contact,
        occasion_date=occasion,
        due_date=due,
        owner=owner,
    )
    with override(owner.language or settings.LANGUAGE_CODE):
        draft = care_draft(care_task, owner)
        context = placeholders.context_for(record=record, contact=contact, user=owner)
        subject = placeholders.render(plan.subject, context).strip() or plan.name
        description = _description(draft, Channel(draft.channel).label if draft.channel else "")
    activity = Activity(
        kind=ActivityKind.TASK,
        subject=subject[:200],
        description=description,
        status=ActivityStatus.PLANNED,
        priority=plan.priority,
        due_at=datetime.datetime.combine(due, datetime.time(DUE_HOUR), tzinfo=_zone(owner)),
        owner=owner,
        link_entity=entity,
        link_id=record.pk,
        account_id=account.pk if account else None,
    )
    activity.save()
    if contact is not None:
        activity.participant_contacts.set([contact])
    care_task.activity = activity
    care_task.save()
    after = audit.snapshot(activity)
    record_written(
        actor=None,
        entity=registry.get("activity"),
        instance=activity,
        action=AuditAction.CREATE,
        changes={key: [None, value] for key, value in after.items() if value not in (None, "")},
    )
    events.emit("care_task.created", id=care_task.pk, plan_id=plan.pk, activity_id=activity.pk)
    return care_task


def care_run(*, day: datetime.date | None = None, plans=None) -> RunResult:
    """Create the care tasks of yearly occasions due from `day` on (idempotent).

    A plan creating tasks N days ahead creates, on `day`, those of the occasions from
    `day` to `day + N` that have none yet: a day the worker missed is made up for, and a
    run repeated creates nothing new.
    """
    day = day or timezone.localdate()
    result = RunResult()
    chosen = (
        plans
        if plans is not None
        else CarePlan.objects.filter(is_active=True, occasion=Occasion.YEARLY).select_related(
            "template", "team", "assignee", "created_by"
        )
    )
    for plan in chosen:
        if not plan.is_active or plan.occasion != Occasion.YEARLY or not plan.date_field:
            continue
        end = day + datetime.timedelta(days=plan.days_before)
        found = occasions.find(plan, day, end)
        existing = set(
            CareTask.objects.filter(plan=plan, occasion_date__range=(day, end)).values_list(
                "link_id", "occasion_date"
            )
        )
        created = 0
        for item in found:
            if (item.record.pk, item.occasion) in existing:
                result.existing += 1
                continue
            due = max(item.occasion - datetime.timedelta(days=plan.days_before), day)
            outcome = _create_task(plan, item.record, item.occasion, due)
            created += outcome == "created"
            result.existing += outcome == "existing"
            result.unassigned += outcome == "unassigned"
        result.created += created
        result.plans[plan.pk] = created
    return result


def care_on_event(event: events.Event) -> None:
    """Create the care tasks of the active plans that follow up this event."""
    matched = {trigger.key: trigger for trigger in triggers.matching(event.name)}
    if not matched:
        return
    plans = list(
        CarePlan.objects.filter(
            is_active=True, occasion=Occasion.EVENT, event_type__in=list(matched)
        ).select_related("template", "team", "assignee", "created_by")
    )
    for plan in plans:
        trigger = matched[plan.event_type]
        hit = trigger.read(event)
        if hit is not None:
            care_for_hit(plan, trigger, hit)


def _account_matches(plan: CarePlan, account_id: int) -> bool:
    from guanxi.customers.models import Account

    filters = {key: value for key, value in (plan.account_filters or {}).items() if value}
    queryset = Account.objects.filter(pk=account_id)
    if filters:
        queryset = queryset.filter(
            filter_condition(registry.get("account"), filters, plan.created_by)
        )
    return queryset.exists()


def care_for_hit(plan: CarePlan, trigger: triggers.Trigger, hit: triggers.Hit) -> str:
    """Create the care task an event asks of one plan; return what happened."""
    from guanxi.customers.models import Account, Contact

    if not _account_matches(plan, hit.account_id):
        return "not_covered"
    if plan.first_only:
        if trigger.earlier_exists is not None and trigger.earlier_exists(hit):
            return "not_first"
        if CareTask.objects.filter(plan=plan, account_id=hit.account_id).exists():
            return "not_first"
    record = None
    if plan.audience == Audience.CONTACT and hit.contact_id:
        record = (
            Contact.objects.select_related("owner", "account__owner")
            .filter(pk=hit.contact_id)
            .first()
        )
    if record is None:
        record = Account.objects.select_related("owner").filter(pk=hit.account_id).first()
    if record is None:
        return "gone"
    owner_zone = _zone(record.owner)
    occasion = timezone.localtime(hit.occurred_at, owner_zone).date()
    due = occasion + datetime.timedelta(days=plan.days_after)
    return _create_task(plan, record, occasion, due)


# --- Care done --------------------------------------------------------------------------------


def care_sync_activity(activity_id: int) -> CareTask | None:
    """Make a care task's state follow its activity: done (on time or late), cancelled, open."""
    care_task = CareTask.objects.select_related("owner").filter(activity_id=activity_id).first()
    if care_task is None:
        return None
    activity = Activity.objects.filter(pk=activity_id).only("status", "completed_at").first()
    if activity is None or activity.status == ActivityStatus.CANCELLED:
        status, done_at = CareStatus.CANCELLED, None
    elif activity.status == ActivityStatus.DONE:
        status, done_at = CareStatus.DONE, activity.completed_at or timezone.now()
    else:
        status, done_at = CareStatus.OPEN, None
    on_time = bool(
        done_at and timezone.localtime(done_at, _zone(care_task.owner)).date() <= care_task.due_date
    )
    if (care_task.status, care_task.done_at, care_task.done_on_time) != (status, done_at, on_time):
        care_task.status, care_task.done_at, care_task.done_on_time = status, done_at, on_time
        care_task.save(update_fields=["status", "done_at", "done_on_time"])
    return care_task


@transaction.atomic
def care_send(
    *,
    actor: User,
    care_task: CareTask,
    subject: str | None = None,
    body: str | None = None,
) -> Message:
    """Send a care task's suggested message (as edited) and mark the care done."""
    from guanxi.activities.services import activity_set_status

    if care_task.activity_id is None:
        raise CareError(_("The task of this care was deleted."))
    ensure_in_scope(actor, care_task.activity, Action.EDIT)
    draft = care_draft(care_task, actor)
    if draft.template is None:
        raise CareError(_("This care plan suggests no message."))
    subject = draft.subject if subject is None else " ".join(subject.split())
    body = draft.body if body is None else body.replace("\r\n", "\n").strip()
    if not body:
        raise CareError(_("Write the message to send."))
    if not draft.to_address:
        raise CareError(
            _("%(name)s has no email address.") % {"name": person_of(care_task)}
            if draft.channel == Channel.EMAIL
            else _("%(name)s has no mobile number.") % {"name": person_of(care_task)}
        )
    account, contact = _person_parts(person_of(care_task))
    if opted_out(contact if contact is not None else account, draft.channel):
        raise CareError(_("The recipient opted out of this channel."))
    message = message_queue(
        actor=actor,
        channel=draft.channel,
        to_address=draft.to_address,
        subject=subject if draft.channel == Channel.EMAIL else "",
        body=body,
        record=person_of(care_task),
        contact=contact,
        template=draft.template,
    )
    if care_task.activity.status != ActivityStatus.DONE:
        activity_set_status(actor=actor, activity=care_task.activity, status=ActivityStatus.DONE)
    care_task.message = message
    care_task.save(update_fields=["message"])
    care_sync_activity(care_task.activity_id)
    care_task.refresh_from_db()
    return message
