"""Writes of leads beyond a form save: status, assignment rules, pool, reassignment.

Conversion lives in `lead_conversion`, scoring in `lead_scoring`, capture from web forms
and emails in `lead_capture`.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from guanxi.core import audit, events, registry
from guanxi.core.choices import Action, AuditAction, NotificationCategory
from guanxi.core.models import Team, User
from guanxi.core.notifications import notify
from guanxi.core.permissions import cached_for, can, ensure_in_scope, require
from guanxi.core.services import record_written, sequence_next
from guanxi.sales.choices import LeadStatus
from guanxi.sales.models import Lead, LeadAssignmentRule, LeadPoolSettings
from guanxi.workflow import conditions
from guanxi.workflow.action_assign import FieldPointer, NoOwnerFound, pick_owner, team_members
from guanxi.workflow.action_common import conditions_matcher
from guanxi.workflow.actions import ActionContext, get_action

OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)


class LeadError(Exception):
    """Raised when a lead action is refused for a reason the user can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def lead_number() -> str:
    return sequence_next(key="L", prefix="L")


def _locked(lead: Lead) -> Lead:
    return Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead.pk)


def _write(actor, lead: Lead, before: dict, *, rule: str = "", action=AuditAction.UPDATE) -> None:
    changes = audit.diff(before, audit.snapshot(lead))
    if not changes:
        return
    if rule:
        audit.record(
            actor=actor, entity="lead", instance=lead, action=action, changes=changes, rule=rule
        )
        changes = {}
    record_written(
        actor=actor,
        entity=registry.get("lead"),
        instance=lead,
        action=AuditAction.UPDATE,
        changes=changes,
    )


@transaction.atomic
def lead_set_status(*, actor: User, lead: Lead, status: str, reason: str = "") -> Lead:
    """Mark a lead contacted, qualified or unqualified (with a reason), or new again."""
    require(actor, "lead", Action.EDIT)
    current = _locked(lead)
    ensure_in_scope(actor, current, Action.EDIT)
    if current.status == LeadStatus.CONVERTED:
        raise LeadError(_("The lead is converted already."))
    if status not in OPEN_STATUSES and status != LeadStatus.UNQUALIFIED:
        raise LeadError(_("Convert the lead to mark it converted."))
    if status == LeadStatus.UNQUALIFIED and not reason:
        raise LeadError(_("Say why the lead is unqualified."))
    before = audit.snapshot(current)
    current.status = status
    current.unqualified_reason = reason if status == LeadStatus.UNQUALIFIED else ""
    if status == LeadStatus.CONTACTED and current.last_contacted_at is None:
        current.last_contacted_at = timezone.now()
    current.updated_by = actor
    current.version += 1
    current.save()
    _write(actor, current, before)
    return current


def lead_mark_contacted(*, lead_id: int, at: datetime.datetime | None = None) -> bool:
    """Note that someone reached the lead; a new lead becomes "contacted"."""
    at = at or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None:
            return False
        before = audit.snapshot(lead)
        if lead.last_contacted_at is None or lead.last_contacted_at < at:
            lead.last_contacted_at = at
        if lead.status == LeadStatus.NEW:
            lead.status = LeadStatus.CONTACTED
        lead.save(update_fields=["last_contacted_at", "status", "updated_at"])
        _write(None, lead, before)
    return True


def _notify(owner: User | None, title: str, lead: Lead) -> None:
    if owner is None or not owner.is_active:
        return
    with override(owner.language or settings.LANGUAGE_CODE):
        notify(
            recipient=owner,
            title=str(title) % {"lead": lead},
            url=reverse("web:lead_detail", args=[lead.pk]),
            category=NotificationCategory.ASSIGNMENT,
        )


# --- assignment rules -----------------------------------------------------------------
#
# A rule's conditions are a tree of the condition language automation rules use
# (`guanxi.workflow.conditions`); its effect is the `assign_owner` action, the same code an
# automation rule on leads runs, with the rule as the round-robin pointer.


def rule_matches(rule: LeadAssignmentRule, lead: Lead) -> bool:
    """Tell whether the rule's conditions hold for the lead (empty ones always do)."""
    return conditions.matches("lead", rule.conditions, lead)


def _members(team: Team) -> list[User]:
    return team_members(team)


def open_lead_counts(user_ids: list[int]) -> dict[int, int]:
    rows = (
        Lead.objects.filter(owner_id__in=user_ids, status__in=OPEN_STATUSES)
        .values("owner_id")
        .annotate(total=Count("pk"))
    )
    return {row["owner_id"]: row["total"] for row in rows}


def rule_pick_owner(rule: LeadAssignmentRule, exclude: int | None = None) -> User | None:
    """Return who gets the next lead of a rule; round-robin moves the rule's pointer."""
    return pick_owner(
        rule.action,
        entity_name="lead",
        user=rule.user,
        team=rule.team,
        pointer=FieldPointer(rule),
        exclude=exclude,
    )


def active_rules() -> list[LeadAssignmentRule]:
    return list(
        LeadAssignmentRule.objects.filter(is_active=True)
        .select_related("user", "team")
        .order_by("position", "id")
    )


@transaction.atomic
def lead_apply_rules(
    *,
    lead: Lead,
    actor: User | None = None,
    rules: list | None = None,
    exclude_owner=None,
    notify_owner: bool = True,
) -> LeadAssignmentRule | None:
    """Give the lead the owner of the first rule that matches; return that rule or None.

    `notify_owner=False` when the caller tells the new owner itself (a form's create).
    """
    assign_owner = get_action("assign_owner")
    # The lead's condition fields are read once for all the rules, not once a rule.
    matches = conditions_matcher("lead")
    for rule in active_rules() if rules is None else rules:
        if matches(rule.conditions, lead) and _apply_rule(
            assign_owner, rule, lead, actor, exclude_owner, notify_owner
        ):
            return rule
    return None


def _apply_rule(assign_owner, rule, lead, actor, exclude_owner, notify_owner) -> bool:
    """Run the rule's assign_owner action on the lead; tell whether it found an owner."""
    context = ActionContext(
        entity_name="lead",
        record=lead,
        event={"name": "lead.assignment_rules", "payload": {"id": lead.pk}},
        rule=rule,
        actor=actor,
        extra={
            "assignment_rule": rule,
            "pointer": FieldPointer(rule),
            "exclude_owner": exclude_owner,
            "notify_owner": notify_owner,
        },
    )
    try:
        assign_owner.run(context, rule.assign_params())
    except NoOwnerFound:
        return False
    return True


def lead_assign_by_rule(
    *,
    lead: Lead,
    owner: User,
    rule: LeadAssignmentRule,
    actor: User | None = None,
    notify_owner: bool = True,
) -> None:
    """Give a lead the owner an assignment rule chose; the history names the rule."""
    current = _locked(lead)
    before = audit.snapshot(current)
    current.owner = owner
    current.assignment_rule = rule
    current.assigned_at = timezone.now()
    current.save(update_fields=["owner", "assignment_rule", "assigned_at", "updated_at"])
    _write(actor, current, before, rule=rule.name, action=AuditAction.ASSIGN)
    lead.owner, lead.assignment_rule, lead.assigned_at = owner, rule, current.assigned_at
    if notify_owner and (actor is None or owner.pk != actor.pk):
        _notify(owner, gettext_lazy("A new lead was assigned to you: %(lead)s"), current)
    events.emit("lead.assigned", entity="lead", id=lead.pk, owner_id=owner.pk, rule=rule.pk)


@transaction.atomic
def lead_assign(*, actor: User, lead: Lead, owner: User) -> Lead:
    """Give a lead to another owner by hand; both owners are told."""
    require(actor, "lead", Action.ASSIGN)
    current = _locked(lead)
    if not Lead.objects.visible_to(actor, Action.ASSIGN).filter(pk=current.pk).exists():
        raise Lead.DoesNotExist
    previous = current.owner
    before = audit.snapshot(current)
    current.owner = owner
    current.assigned_at = timezone.now()
    current.assignment_rule = None
    current.updated_by = actor
    current.version += 1
    current.save()
    _write(actor, current, before)
    if owner.pk != actor.pk:
        _notify(owner, gettext_lazy("A lead was assigned to you: %(lead)s"), current)
    if previous is not None and previous.pk not in (owner.pk, actor.pk):
        _notify(previous, gettext_lazy("A lead was given to someone else: %(lead)s"), current)
    return current


# --- the lead pool --------------------------------------------------------------------


def pool_settings() -> LeadPoolSettings:
    return LeadPoolSettings.current()


def sees_pool(user: User) -> bool:
    """Tell whether the user's roles give access to the lead pool (superusers always)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True

    def compute() -> bool:
        settings_row = LeadPoolSettings.objects.order_by("pk").first()
        return settings_row is not None and settings_row.roles.filter(users=user).exists()

    return cached_for(user, "lead_pool", compute)


def pool_visibility(user: User, action: str) -> Q | None:
    """Let users with pool access see and claim the leads nobody owns."""
    if action != Action.VIEW or not sees_pool(user):
        return None
    return Q(owner__isnull=True, status__in=OPEN_STATUSES)


def pool_cap_problem(user: User) -> str | None:
    cap = pool_settings().max_open_leads
    if cap is None or user.is_superuser:
        return None
    owned = Lead.objects.filter(owner=user, status__in=OPEN_STATUSES).count()
    if owned < cap:
        return None
    return _("You own %(owned)s open leads; at most %(cap)s are allowed.") % {
        "owned": owned,
        "cap": cap,
    }


@transaction.atomic
def lead_claim(*, actor: User, lead: Lead) -> Lead:
    """Take a lead from the pool, within the per-user cap."""
    if not sees_pool(actor):
        raise PermissionDenied
    current = _locked(lead)
    if current.owner_id is not None or current.status not in OPEN_STATUSES:
        raise LeadError(_("Someone else took this lead already."))
    problem = pool_cap_problem(actor)
    if problem:
        raise LeadError(problem)
    before = audit.snapshot(current)
    current.owner = actor
    current.assigned_at = timezone.now()
    current.assignment_rule = None
    current.updated_by = actor
    current.version += 1
    current.save()
    _write(actor, current, before)
    return current


@transaction.atomic
def lead_release(*, actor: User, lead: Lead) -> Lead:
    """Put a lead back into the pool for others to claim."""
    require(actor, "lead", Action.EDIT)
    current = _locked(lead)
    ensure_in_scope(actor, current, Action.EDIT)
    if current.status not in OPEN_STATUSES:
        raise LeadError(_("Only open leads go back to the pool."))
    if current.owner_id != actor.pk and not can(actor, "lead", Action.ASSIGN):
        raise PermissionDenied
    before = audit.snapshot(current)
    current.owner = None
    current.assigned_at = None
    current.assignment_rule = None
    current.updated_by = actor
    current.version += 1
    current.save()
    _write(actor, current, before)
    return current


# --- reassignment of leads nobody contacted -------------------------------------------


def overdue_leads(now: datetime.datetime):
    """Return the new leads a rule gave out that nobody contacted within its hours."""
    condition = Q()
    for rule in LeadAssignmentRule.objects.filter(
        is_active=True, reassign_after_hours__isnull=False
    ):
        cutoff = now - datetime.timedelta(hours=rule.reassign_after_hours)
        condition |= Q(assignment_rule=rule, assigned_at__lte=cutoff)
    if not condition:
        return Lead.objects.none()
    return Lead.objects.filter(
        condition, status=LeadStatus.NEW, last_contacted_at__isnull=True
    ).select_related("owner", "assignment_rule")


def leads_reassign_overdue(now: datetime.datetime | None = None) -> int:
    """Give each overdue lead to the next owner its rule names; tell the old and new owner."""
    now = now or timezone.now()
    moved = 0
    for lead in list(overdue_leads(now)[:1000]):
        previous = lead.owner
        rule = lead.assignment_rule
        with transaction.atomic():
            chosen = lead_apply_rules(
                lead=lead, rules=[rule], exclude_owner=previous.pk if previous else None
            )
            if chosen is None:
                continue
        moved += 1
        _notify(
            previous,
            gettext_lazy("Nobody contacted the lead %(lead)s in time; it went to someone else."),
            lead,
        )
    return moved
