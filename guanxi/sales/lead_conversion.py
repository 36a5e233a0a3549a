"""Lead conversion (线索转化): a lead becomes a customer, a contact and maybe a deal.

Everything happens in one transaction: the duplicate check, the new or chosen customer
and contact, the optional opportunity in the first stage of the pipeline for new deals,
the activities and emails moved to the contact, a history row on each record, and the
lead marked converted with links to what it became. Any refusal rolls all of it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit, dedupe, events, registry
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import can, ensure_in_scope, require
from guanxi.core.services import record_create, record_written, sequence_next
from guanxi.customers.choices import AccountKind
from guanxi.customers.models import Account, Contact
from guanxi.sales.choices import LeadStatus
from guanxi.sales.lead_services import LeadError
from guanxi.sales.models import Lead, Opportunity, OpportunityContact, StageChange
from guanxi.sales.pipeline_services import pipeline_default

HISTORY_KEY = "converted_from_lead"


@dataclass
class DuplicatesFound(Exception):
    """Raised when the lead looks like existing customers or contacts and no choice was made."""

    accounts: list = field(default_factory=list)
    contacts: list = field(default_factory=list)

    def __str__(self) -> str:
        return _("The lead looks like existing customers or contacts.")


def account_values(lead: Lead) -> dict[str, Any]:
    return {
        "name": lead.company or lead.name,
        "phone": lead.phone or lead.mobile,
        "email": lead.email,
        "address": lead.address,
    }


def contact_values(lead: Lead, account_id: int | None = None) -> dict[str, Any]:
    return {
        "name": lead.name,
        "mobile": lead.mobile,
        "phone": lead.phone,
        "email": lead.email,
        "account": account_id,
        "address": lead.address,
    }


def duplicates_of(lead: Lead, actor: User):
    """Return (customer matches, contact matches) the actor may see, best first."""
    accounts = dedupe.find_duplicates("account", account_values(lead), user=actor, limit=5)
    contacts = dedupe.find_duplicates("contact", contact_values(lead), user=actor, limit=5)
    return accounts, contacts


def _owner_for(actor: User, entity_name: str, lead: Lead) -> User:
    if lead.owner_id and lead.owner.is_active and can(actor, entity_name, Action.ASSIGN):
        return lead.owner
    return actor


def _create(actor: User, entity_name: str, values: dict[str, Any]):
    """Create a record through its entity form, as the screens and the API do."""
    entity = registry.get(entity_name)
    fields = entity.form_class._meta.fields
    data = {k: v for k, v in model_to_dict(entity.model(), fields=fields).items() if v is not None}
    data.update({k: v for k, v in values.items() if v not in (None, "")})
    form = entity.form_class(data, user=actor)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else name}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        raise LeadError(
            _("The %(entity)s could not be created: %(problems)s")
            % {"entity": entity.verbose_name, "problems": problems}
        )
    return record_create(actor=actor, entity=entity, form=form)


def _new_account(actor: User, lead: Lead) -> Account:
    values = {
        **account_values(lead),
        "kind": AccountKind.COMPANY if lead.company else AccountKind.INDIVIDUAL,
        "industry": lead.industry,
        "source": lead.source,
        "website": lead.website,
        "country": lead.country,
        "province": lead.province,
        "city": lead.city,
        "owner": _owner_for(actor, "account", lead).pk,
        "description": lead.description,
    }
    return _create(actor, "account", values)


def _new_contact(actor: User, lead: Lead, account: Account) -> Contact:
    values = {
        **contact_values(lead, account.pk),
        "title": lead.title,
        "wechat": lead.wechat,
        "is_primary": not account.contacts.exists(),
        "owner": _owner_for(actor, "contact", lead).pk,
    }
    return _create(actor, "contact", values)


def _visible(model, actor: User, pk) -> Any:
    record = model.objects.visible_to(actor, Action.VIEW).filter(pk=getattr(pk, "pk", pk)).first()
    if record is None:
        raise LeadError(_("The chosen record does not exist or is not visible to you."))
    return record


def _new_opportunity(
    actor: User, lead: Lead, account: Account, contact: Contact, name: str, amount
) -> Opportunity:
    require(actor, "opportunity", Action.CREATE)
    pipeline = pipeline_default()
    stage = pipeline.stages.filter(is_archived=False).order_by("position", "id").first()
    now = timezone.now()
    opportunity = Opportunity.objects.create(
        number=sequence_next(key="O", prefix="O"),
        name=(name or lead.product_interest or str(account))[:200],
        account=account,
        pipeline=pipeline,
        stage=stage,
        probability=stage.probability,
        amount=amount or Decimal("0"),
        source=lead.source,
        partner=lead.partner,
        lead=lead,
        owner=_owner_for(actor, "opportunity", lead),
        stage_entered_at=now,
        created_by=actor,
        updated_by=actor,
    )
    OpportunityContact.objects.create(opportunity=opportunity, contact=contact, is_primary=True)
    StageChange.objects.create(
        opportunity=opportunity,
        from_stage=None,
        to_stage=stage,
        changed_at=now,
        changed_by=actor,
        amount=opportunity.amount,
    )
    ensure_in_scope(actor, opportunity, Action.CREATE)
    after = audit.snapshot(opportunity)
    changes = {key: [None, value] for key, value in after.items() if value not in (None, "", [])}
    changes[HISTORY_KEY] = [None, lead.number]
    entity = registry.find("opportunity")
    if entity is not None:
        record_written(
            actor=actor, entity=entity, instance=opportunity, action="create", changes=changes
        )
    else:
        audit.record(
            actor=actor,
            entity="opportunity",
            instance=opportunity,
            action="create",
            changes=changes,
        )
        events.emit("opportunity.created", entity="opportunity", id=opportunity.pk)
    return opportunity


def _move_activities(lead: Lead, account: Account, contact: Contact) -> int:
    """Re-link the lead's activities and emails to the contact (and so its customer)."""
    from guanxi.activities.models import Activity, Message

    moved = Activity.objects.filter(link_entity="lead", link_id=lead.pk).update(
        link_entity="contact", link_id=contact.pk, account_id=account.pk
    )
    Message.objects.filter(link_entity="lead", link_id=lead.pk).update(
        link_entity="contact", link_id=contact.pk, account_id=account.pk, contact_id=contact.pk
    )
    return moved


def _note_origin(actor: User, entity_name: str, record, lead: Lead) -> None:
    audit.record(
        actor=actor,
        entity=entity_name,
        instance=record,
        action=AuditAction.UPDATE,
        changes={HISTORY_KEY: [None, lead.number]},
    )


@transaction.atomic
def lead_convert(
    *,
    actor: User,
    lead: Lead,
    account: Account | int | None = None,
    create_account: bool = True,
    contact: Contact | int | None = None,
    create_opportunity: bool = False,
    opportunity_name: str = "",
    amount: Decimal | None = None,
    allow_duplicate: bool = False,
) -> Lead:
    """Convert a lead; raise DuplicatesFound when it looks like existing records and neither
    a customer was chosen nor duplicates allowed."""
    require(actor, "lead", Action.EDIT)
    current = Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead.pk)
    ensure_in_scope(actor, current, Action.EDIT)
    if current.status == LeadStatus.CONVERTED:
        raise LeadError(_("The lead is converted already."))
    if account is None and not create_account:
        raise LeadError(_("Choose a customer or let one be created."))
    if account is None and contact is None and not allow_duplicate:
        accounts, contacts = duplicates_of(current, actor)
        if accounts or contacts:
            raise DuplicatesFound(accounts, contacts)
    if contact is not None:
        contact = _visible(Contact, actor, contact)
        account = account if account is not None else contact.account_id
    account = _visible(Account, actor, account) if account else _new_account(actor, current)
    contact = contact or _new_contact(actor, current, account)
    _note_origin(actor, "account", account, current)
    _note_origin(actor, "contact", contact, current)
    opportunity = None
    if create_opportunity:
        opportunity = _new_opportunity(actor, current, account, contact, opportunity_name, amount)
    _move_activities(current, account, contact)
    _mark_converted(actor, current, account, contact, opportunity)
    return current


def _mark_converted(actor: User, lead: Lead, account, contact, opportunity) -> None:
    """Mark the lead converted with links to what it became; history and event follow."""
    before = audit.snapshot(lead)
    lead.status = LeadStatus.CONVERTED
    lead.converted_at = timezone.now()
    lead.converted_account = account
    lead.converted_contact = contact
    lead.converted_opportunity = opportunity
    lead.updated_by = actor
    lead.version += 1
    lead.save()
    record_written(
        actor=actor,
        entity=registry.get("lead"),
        instance=lead,
        action=AuditAction.UPDATE,
        changes=audit.diff(before, audit.snapshot(lead)),
    )
    events.emit(
        "lead.converted",
        entity="lead",
        id=lead.pk,
        actor_id=actor.pk,
        account_id=account.pk,
        contact_id=contact.pk,
        opportunity_id=opportunity.pk if opportunity else None,
    )


def leads_convert_bulk(*, actor: User, lead_ids: list[int], progress=None) -> dict[str, int]:
    """Convert many leads, each in its own transaction; leads with duplicates get the match.

    A lead whose customer already exists (the best duplicate match) is attached to it,
    as a user choosing the match would; a lead that fails is counted and left as it was.
    """
    converted, failed = 0, 0
    for pk in lead_ids:
        lead = Lead.objects.visible_to(actor, Action.EDIT).filter(pk=pk).first()
        if lead is None or lead.status == LeadStatus.CONVERTED:
            failed += 1
        else:
            try:
                accounts, contacts = duplicates_of(lead, actor)
                lead_convert(
                    actor=actor,
                    lead=lead,
                    account=accounts[0].record if accounts else None,
                    contact=contacts[0].record
                    if contacts
                    and accounts
                    and contacts[0].record.account_id == accounts[0].record.pk
                    else None,
                    allow_duplicate=True,
                )
                converted += 1
            except (LeadError, PermissionDenied):
                failed += 1
        if progress is not None:
            progress(1)
    return {"converted": converted, "failed": failed}
