"""Writes of opportunities (商机): stage moves, contacts, product lines, competitors.

Every service takes the acting user as keyword `actor`, runs in one transaction, writes the
change history and emits its event after commit.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit, events, locks
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import ensure_in_scope, require
from guanxi.core.services import StaleRecord
from guanxi.customers.choices import AccountType
from guanxi.customers.models import Account, Contact
from guanxi.sales import funnel_times
from guanxi.sales.choices import CloseReason
from guanxi.sales.models import (
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    Stage,
    StageChange,
)
from guanxi.sales.opportunity_fields import missing_fields, missing_message
from guanxi.workflow.approval_gates import approval_gate

ENTITY = "opportunity"


def stage_problems(
    opportunity: Opportunity, stage: Stage, close_reason: str = ""
) -> dict[str, list[str]]:
    """Return why the deal may not enter the stage, keyed by field; empty when it may."""
    errors: dict[str, list[str]] = {}
    if stage.pipeline_id != opportunity.pipeline_id:
        errors["stage"] = [_("Choose a stage of the deal's own pipeline.")]
        return errors
    if stage.is_archived:
        errors["stage"] = [_("This stage was removed from its pipeline.")]
        return errors
    missing = missing_fields(opportunity, stage)
    if missing:
        errors["stage"] = [missing_message(stage, missing)]
    if close_reason and close_reason not in CloseReason.values:
        errors["close_reason"] = [_("Choose one of the listed reasons.")]
    elif stage.is_lost and not close_reason and settings.GUANXI_LOST_REASON_REQUIRED:
        errors["close_reason"] = [_("Say why the deal was lost.")]
    return errors


def enter_stage(
    *,
    actor: User | None,
    opportunity: Opportunity,
    from_stage: Stage | None,
    now: datetime.datetime,
) -> StageChange:
    """Set what entering the deal's (new) stage implies and record the move.

    Entering won sets the probability to 100 and the close date; entering lost closes the
    deal too; entering an open stage reopens a closed deal. The caller saves the deal.
    """
    stage = opportunity.stage
    seconds = 0
    if from_stage is not None:
        seconds = max(0, int((now - opportunity.stage_entered_at).total_seconds()))
    if stage.is_won:
        opportunity.probability = 100
    elif from_stage is not None:
        opportunity.probability = stage.probability
    if stage.is_closed:
        if opportunity.closed_at is None or (from_stage is not None and not from_stage.is_closed):
            opportunity.closed_at = now
    else:
        opportunity.closed_at = None
        opportunity.close_reason = ""
        opportunity.close_note = ""
    opportunity.stage_entered_at = now
    change = StageChange.objects.create(
        opportunity=opportunity,
        from_stage=from_stage,
        to_stage=stage,
        changed_at=now,
        changed_by=actor,
        seconds_in_previous=seconds,
        amount=opportunity.amount or Decimal("0"),
    )
    funnel_times.count_move(opportunity, change)
    return change


def _emit_stage_changed(actor, opportunity: Opportunity, from_stage: Stage | None) -> None:
    events.emit(
        "opportunity.stage_changed",
        entity=ENTITY,
        id=opportunity.pk,
        account_id=opportunity.account_id,
        owner_id=opportunity.owner_id,
        actor_id=getattr(actor, "pk", None),
        actor=getattr(actor, "pk", None),
        **{
            "from": from_stage.pk if from_stage else None,
            "to": opportunity.stage_id,
            "amount": str(opportunity.amount),
            "won": opportunity.stage.is_won,
            "lost": opportunity.stage.is_lost,
        },
    )


@transaction.atomic
def opportunity_move_stage(
    *,
    actor: User,
    opportunity: Opportunity,
    stage: Stage,
    version: int | None = None,
    close_reason: str = "",
    close_note: str = "",
) -> Opportunity:
    """Move a deal to another stage of its pipeline.

    The row is locked and its version checked (StaleRecord when someone moved or edited it
    since it was loaded); the target stage's required fields must be filled and a lost deal
    needs a reason (ValidationError with the fields); the move is recorded with the time
    spent in the stage it left.
    """
    require(actor, ENTITY, Action.EDIT)
    current = (
        Opportunity.objects.select_for_update()
        .select_related("stage", "pipeline", "account")
        .get(pk=opportunity.pk)
    )
    ensure_in_scope(actor, current, Action.EDIT)
    if version is not None and current.version != version:
        raise StaleRecord
    if stage.pk == current.stage_id:
        return current
    errors = stage_problems(current, stage, close_reason)
    if errors:
        raise ValidationError(errors)
    locks.check_edit(actor=actor, entity_name=ENTITY, record=current, fields={"stage"})
    if stage.is_won:
        # A win may need approval (WF-1): the deal then stays where it is until approved.
        params = {"stage": stage.pk, "close_reason": close_reason, "close_note": close_note[:300]}
        pending = approval_gate(
            "opportunity.win", record=current, actor=actor, params=params, field="stage"
        )
        if pending is not None:
            return current
    before = audit.snapshot(current)
    from_stage = current.stage
    now = timezone.now()
    current.stage = stage
    if stage.is_closed:
        current.close_reason = close_reason
        current.close_note = close_note[:300]
    enter_stage(actor=actor, opportunity=current, from_stage=from_stage, now=now)
    current.version += 1
    current.updated_by = actor
    current.save()
    audit.record(
        actor=actor,
        entity=ENTITY,
        instance=current,
        action=AuditAction.UPDATE,
        changes=audit.diff(before, audit.snapshot(current)),
    )
    _emit_stage_changed(actor, current, from_stage)
    return current


def after_write(actor, opportunity: Opportunity, before: dict | None) -> None:
    """Record the first stage of a new deal, or a stage changed through the edit form."""
    from_stage = None
    if before is not None:
        previous = (before.get("stage") or {}).get("id")
        if previous == opportunity.stage_id:
            return
        from_stage = Stage.objects.get(pk=previous)
    now = timezone.now()
    if from_stage is None:
        # A new deal (or one imported) starts its stage clock when it is created.
        now = opportunity.created_at or now
    enter_stage(actor=actor, opportunity=opportunity, from_stage=from_stage, now=now)
    Opportunity.objects.filter(pk=opportunity.pk).update(
        probability=opportunity.probability,
        closed_at=opportunity.closed_at,
        close_reason=opportunity.close_reason,
        close_note=opportunity.close_note,
        stage_entered_at=opportunity.stage_entered_at,
    )
    if from_stage is not None:
        _emit_stage_changed(actor, opportunity, from_stage)


def event_payload(opportunity: Opportunity) -> dict[str, Any]:
    return {"account_id": opportunity.account_id, "stage_id": opportunity.stage_id}


def _locked_for_edit(actor: User, opportunity: Opportunity) -> Opportunity:
    require(actor, ENTITY, Action.EDIT)
    current = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    ensure_in_scope(actor, current, Action.EDIT)
    return current


def _history(actor, opportunity, key: str, before, after) -> None:
    audit.record(
        actor=actor,
        entity=ENTITY,
        instance=opportunity,
        action=AuditAction.UPDATE,
        changes={key: [before, after]},
    )
    Opportunity.objects.filter(pk=opportunity.pk).update(updated_at=timezone.now())
    events.emit(
        "opportunity.updated",
        entity=ENTITY,
        id=opportunity.pk,
        actor_id=actor.pk,
        changes={key: [before, after]},
        **event_payload(opportunity),
    )


@transaction.atomic
def opportunity_contact_add(
    *,
    actor: User,
    opportunity: Opportunity,
    contact: Contact,
    role: str = "",
    is_primary: bool = False,
) -> OpportunityContact:
    """Add a contact to a deal with their role, or change the role of one already on it."""
    current = _locked_for_edit(actor, opportunity)
    if not Contact.objects.visible_to(actor, Action.VIEW).filter(pk=contact.pk).exists():
        raise ValidationError({"contact": [_("Choose a contact you may see.")]})
    link, _created = OpportunityContact.objects.update_or_create(
        opportunity=current, contact=contact, defaults={"role": role, "is_primary": is_primary}
    )
    if is_primary:
        current.contact_roles.exclude(pk=link.pk).update(is_primary=False)
    label = f"{contact.name} ({link.get_role_display()})" if role else contact.name
    _history(actor, current, "deal_contacts", None, label)
    return link


@transaction.atomic
def opportunity_contact_remove(*, actor: User, opportunity: Opportunity, contact_id: int) -> None:
    """Take a contact off a deal."""
    current = _locked_for_edit(actor, opportunity)
    link = current.contact_roles.select_related("contact").filter(contact_id=contact_id).first()
    if link is None:
        raise OpportunityContact.DoesNotExist
    link.delete()
    _history(actor, current, "deal_contacts", link.contact.name, None)


def _line_label(line: OpportunityLine) -> str:
    return f"{line.product_name} × {line.quantity:g} @ {line.unit_price}"


@transaction.atomic
def opportunity_line_save(
    *, actor: User, opportunity: Opportunity, values: dict[str, Any], line_id: int | None = None
) -> OpportunityLine:
    """Add a product line to a deal, or change one of its lines."""
    current = _locked_for_edit(actor, opportunity)
    errors = _line_errors(values)
    if errors:
        raise ValidationError(errors)
    if line_id is None:
        position = (current.lines.aggregate(last=Max("position"))["last"] or 0) + 1
        line = OpportunityLine(opportunity=current, position=position)
        before = None
    else:
        line = current.lines.get(pk=line_id)
        before = _line_label(line)
    line.product_name = values["product_name"].strip()
    line.quantity = Decimal(str(values.get("quantity") or 1))
    line.unit_price = Decimal(str(values.get("unit_price") or 0))
    line.discount_percent = Decimal(str(values.get("discount_percent") or 0))
    line.save()
    _history(actor, current, "product_lines", before, _line_label(line))
    return line


def _line_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (values.get("product_name") or "").strip():
        errors["product_name"] = [_("Enter the product.")]
    for key in ("quantity", "unit_price", "discount_percent"):
        try:
            number = Decimal(str(values.get(key) if values.get(key) not in (None, "") else 0))
        except ArithmeticError:
            errors[key] = [_("Enter a number.")]
            continue
        if number < 0 or (key == "discount_percent" and number > 100):
            errors[key] = (
                [_("Enter a number between 0 and 100.")]
                if key == "discount_percent"
                else [_("Enter a number that is not negative.")]
            )
    return errors


@transaction.atomic
def opportunity_line_remove(*, actor: User, opportunity: Opportunity, line_id: int) -> None:
    """Remove a product line from a deal."""
    current = _locked_for_edit(actor, opportunity)
    line = current.lines.get(pk=line_id)
    line.delete()
    _history(actor, current, "product_lines", _line_label(line), None)


@transaction.atomic
def opportunity_use_line_total(*, actor: User, opportunity: Opportunity) -> Opportunity:
    """Set the deal's amount to the sum of its product lines."""
    current = _locked_for_edit(actor, opportunity)
    total = sum((line.total for line in current.lines.all()), Decimal("0"))
    before = audit.snapshot(current)
    current.amount = total
    current.version += 1
    current.updated_by = actor
    current.save(update_fields=["amount", "version", "updated_by", "updated_at"])
    changes = audit.diff(before, audit.snapshot(current))
    audit.record(
        actor=actor, entity=ENTITY, instance=current, action=AuditAction.UPDATE, changes=changes
    )
    events.emit(
        "opportunity.updated",
        entity=ENTITY,
        id=current.pk,
        actor_id=actor.pk,
        changes=changes,
        **event_payload(current),
    )
    return current


@transaction.atomic
def opportunity_competitor_save(
    *,
    actor: User,
    opportunity: Opportunity,
    competitor: Account,
    price: Decimal | None = None,
    strengths: str = "",
    weaknesses: str = "",
    is_winner: bool = False,
) -> OpportunityCompetitor:
    """Put a competitor on a deal (or update what is known of it)."""
    current = _locked_for_edit(actor, opportunity)
    if competitor.account_type != AccountType.COMPETITOR:
        raise ValidationError({"competitor": [_("Choose a customer whose type is “Competitor”.")]})
    if price is not None and price < 0:
        raise ValidationError({"price": [_("Enter a number that is not negative.")]})
    link, created = OpportunityCompetitor.objects.update_or_create(
        opportunity=current,
        competitor=competitor,
        defaults={
            "price": price,
            "strengths": strengths[:300],
            "weaknesses": weaknesses[:300],
            "is_winner": is_winner,
        },
    )
    _history(
        actor, current, "deal_competitors", None if created else competitor.name, competitor.name
    )
    return link


@transaction.atomic
def opportunity_competitor_remove(
    *, actor: User, opportunity: Opportunity, competitor_id: int
) -> None:
    """Take a competitor off a deal."""
    current = _locked_for_edit(actor, opportunity)
    link = (
        current.competitors.select_related("competitor").filter(competitor_id=competitor_id).first()
    )
    if link is None:
        raise OpportunityCompetitor.DoesNotExist
    link.delete()
    _history(actor, current, "deal_competitors", link.competitor.name, None)


def open_deal_accounts(account_ids: list[int]) -> set[int]:
    """Return which of the customers have an open deal (for the pool's return rule)."""
    return set(
        Opportunity.objects.filter(
            account_id__in=account_ids, stage__is_won=False, stage__is_lost=False
        ).values_list("account_id", flat=True)
    )


def move_open_deals(*, actor: User, account: Account, old_owner: User, new_owner: User) -> int:
    """Give the open deals the old owner held on a transferred customer to the new owner."""
    deals = list(
        Opportunity.objects.select_for_update().filter(
            account=account, owner=old_owner, stage__is_won=False, stage__is_lost=False
        )
    )
    for deal in deals:
        before = audit.snapshot(deal)
        deal.owner = new_owner
        deal.version += 1
        deal.updated_by = actor
        deal.save(update_fields=["owner", "version", "updated_by", "updated_at"])
        audit.record(
            actor=actor,
            entity=ENTITY,
            instance=deal,
            action=AuditAction.UPDATE,
            changes=audit.diff(before, audit.snapshot(deal)),
        )
    return len(deals)
