"""Privacy of the people we hold data about (CUS-10): consent, their data on request, erasure.

Consent is kept per person and channel as an append-only history; the newest row is the
current status. Channels (email, SMS, phone) ask `consent_status` or
`contacts_reachable_by` before reaching anyone. "Export this person's data" gathers the
contact, consents, history and linked records; "erase this person" blanks every personal
field, the values kept in the change history and the search keys, but keeps the record
so orders, activities and tickets that point at it stay whole.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit, dedupe, events, registry, search
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import AuditEntry, MergeRecord, Notification, User
from guanxi.core.permissions import ensure_in_scope, require
from guanxi.customers.choices import AccountKind, ConsentChannel, ConsentSource, ConsentStatus
from guanxi.customers.models import Account, Consent, Contact

# The contact fields an erasure blanks; the account, role and owner are business links.
ERASED_FIELDS = (
    "title",
    "department",
    "gender",
    "birthday",
    "mobile",
    "phone",
    "email",
    "wechat",
    "id_number",
    "address",
    "preferences",
    "notes",
)
ERASED_NAME = "已删除联系人 / Erased contact #{pk}"
# The fields of an individual customer an erasure blanks.
ERASED_ACCOUNT_FIELDS = (
    "phone",
    "email",
    "website",
    "address",
    "postal_code",
    "description",
)
ERASED_ACCOUNT_NAME = "已删除客户 / Erased customer #{pk}"
CHANNEL_FIELDS = {
    ConsentChannel.EMAIL: ("email",),
    ConsentChannel.SMS: ("mobile",),
    ConsentChannel.PHONE: ("mobile", "phone"),
}


def consent_history_key(channel: str) -> str:
    return f"consent_{channel}"


def _person(person: Contact | Account) -> tuple[str, dict[str, Any]]:
    """Return the entity name of a person and the consent filter that selects their rows."""
    if isinstance(person, Contact):
        return "contact", {"contact": person}
    return "account", {"account": person}


@transaction.atomic
def consent_record(
    *,
    actor: User | None,
    person: Contact | Account,
    channel: str,
    status: str,
    source: str = ConsentSource.FORM,
    note: str = "",
) -> Consent:
    """Append a consent or opt-out of a contact (or customer) on a channel; it becomes current."""
    if channel not in ConsentChannel.values or status not in ConsentStatus.values:
        raise ValueError(channel if channel not in ConsentChannel.values else status)
    if source not in ConsentSource.values:
        raise ValueError(source)
    entity_name, whose = _person(person)
    # Lock the person so two recordings at once cannot leave two current rows.
    type(person).objects.select_for_update().filter(pk=person.pk).first()
    current = Consent.objects.filter(channel=channel, current=True, **whose)
    previous = current.first()
    current.update(current=False)
    consent = Consent.objects.create(
        channel=channel,
        status=status,
        source=source,
        note=note[:300],
        actor=actor if actor is not None and actor.is_authenticated else None,
        current=True,
        **whose,
    )
    audit.record(
        actor=actor,
        entity=entity_name,
        instance=person,
        action=AuditAction.UPDATE,
        changes={consent_history_key(channel): [previous.status if previous else None, status]},
    )
    events.emit(
        f"{entity_name}.consent_changed",
        entity=entity_name,
        id=person.pk,
        channel=channel,
        status=status,
        actor_id=getattr(actor, "pk", None),
    )
    return consent


def consent_status(person: Contact | Account, channel: str) -> str | None:
    """Return the current status of a contact (or customer) on a channel, or None."""
    _entity_name, whose = _person(person)
    return (
        Consent.objects.filter(channel=channel, current=True, **whose)
        .values_list("status", flat=True)
        .first()
    )


def contacts_reachable_by(
    channel: str, *, queryset: QuerySet | None = None, explicit: bool = False
) -> QuerySet:
    """Return the contacts with an address on the channel who have not opted out of it.

    With `explicit`, only those who consented (for channels the law says are opt-in).
    """
    contacts = Contact.objects.all() if queryset is None else queryset
    has_address = Q()
    for field in CHANNEL_FIELDS[channel]:
        has_address |= ~Q(**{field: ""})
    current = Consent.objects.filter(channel=channel, current=True, contact__isnull=False)
    if explicit:
        granted = current.filter(status=ConsentStatus.GRANTED).values("contact_id")
        return contacts.filter(has_address, pk__in=granted)
    withdrawn = current.filter(status=ConsentStatus.WITHDRAWN).values("contact_id")
    return contacts.filter(has_address).exclude(pk__in=withdrawn)


def opted_out_condition(entity_name: str):
    """Return a list filter: people whose current status on the channels is "opted out"."""
    column = "contact_id" if entity_name == "contact" else "account_id"

    def condition(values: list[str], user) -> Q:
        rows = Consent.objects.filter(
            channel__in=values, status=ConsentStatus.WITHDRAWN, current=True
        ).exclude(**{column: None})
        return Q(pk__in=rows.values(column))

    return condition


def privacy_tab_context(person: Contact | Account, user) -> dict[str, Any]:
    """Return the context of the Privacy tab of a contact or a customer."""
    from guanxi.core.permissions import can
    from guanxi.core.privacy import masks_personal_data
    from guanxi.customers.forms import ConsentForm

    entity_name, whose = _person(person)
    current = {
        consent.channel: consent for consent in Consent.objects.filter(current=True, **whose)
    }
    is_contact = entity_name == "contact"
    return {
        "consent_channels": [
            {"value": value, "label": label, "current": current.get(value)}
            for value, label in ConsentChannel.choices
        ],
        "consents": Consent.objects.filter(**whose).select_related("actor")[:100],
        "consent_form": ConsentForm(),
        "consent_url": reverse(f"customers:{entity_name}_consent", args=[person.pk]),
        "can_record_consent": can(user, entity_name, Action.EDIT),
        "can_export_personal_data": (is_contact or person.kind == AccountKind.INDIVIDUAL)
        and can(user, entity_name, Action.EXPORT)
        and not masks_personal_data(user),
        "personal_data_url": reverse(f"customers:{entity_name}_personal_data", args=[person.pk]),
        "can_erase": (is_contact or person.kind == AccountKind.INDIVIDUAL)
        and can(user, entity_name, Action.DELETE),
        "erase_url": reverse(f"customers:{entity_name}_erase", args=[person.pk]),
        "is_contact": is_contact,
    }


def personal_data(person: Contact | Account, user) -> dict[str, Any]:
    """Return everything held about a person (a contact or an individual customer)."""
    from guanxi.api.schemas import record_out
    from guanxi.core import grouping

    entity_name, whose = _person(person)
    entity = registry.get(entity_name)
    grouping.attach(entity, [person], user)
    details = record_out(entity, person)
    details["tags"] = [tag.name for tag in person.tag_list]
    details["groups"] = [group.name for group in person.group_list]
    data: dict[str, Any] = {"exported_at": timezone.now().isoformat(), entity_name: details}
    if entity_name == "contact":
        account = person.account
        data["account"] = {"id": account.pk, "number": account.number, "name": account.name}
    else:
        data["contacts"] = [
            {"id": contact.pk, "name": contact.name}
            for contact in Contact.objects.visible_to(user, "view").filter(account=person)
        ]
    data["consents"] = [
        {
            "channel": consent.channel,
            "status": consent.status,
            "source": consent.source,
            "recorded_at": consent.recorded_at.isoformat(),
            "recorded_by": str(consent.actor) if consent.actor else "",
            "note": consent.note,
        }
        for consent in Consent.objects.filter(**whose).select_related("actor")
    ]
    data["history"] = [
        {
            "at": entry.at.isoformat(),
            "action": entry.action,
            "user": str(entry.actor) if entry.actor else "",
            "changes": entry.changes,
        }
        for entry in audit.history(entity_name, person.pk)
    ]
    return data


def _scrub(changes: dict[str, Any], erased: tuple[str, ...] = ERASED_FIELDS) -> dict[str, Any]:
    personal = {"name", *erased}
    return {
        key: value
        for key, value in changes.items()
        if key not in personal and not key.startswith("custom.")
    }


def _scrub_notifications(url: str, old_name: str, name: str) -> None:
    """Take the person's name out of the notifications that link to their record."""
    for notification in Notification.objects.filter(url=url):
        notification.title = notification.title.replace(old_name, name)[:200]
        notification.body = notification.body.replace(old_name, name)
        notification.save(update_fields=["title", "body"])


def _scrub_merge_records(entity_name: str, pk: int, name: str, erased: tuple[str, ...]) -> None:
    """Take the person's values out of the snapshots kept by merges they were part of.

    Records merged into this one were the same person, so all of their snapshots go.
    """
    key = str(pk)
    merges = MergeRecord.objects.filter(entity=entity_name).filter(
        Q(survivor_id=pk) | Q(snapshots__has_key=key)
    )
    for merge in merges:
        survived = merge.survivor_id == pk
        for snapshot_key in list(merge.snapshots):
            if survived or snapshot_key == key:
                snapshot = _scrub(merge.snapshots[snapshot_key], erased)
                snapshot.pop("custom", None)
                merge.snapshots[snapshot_key] = snapshot
        if survived:
            merge.survivor_repr = name
        merge.save(update_fields=["snapshots", "survivor_repr"])


def _erase(*, actor: User, entity_name: str, person, erased: tuple[str, ...], name: str):
    """Blank a locked person's fields and every copy of their values; record the erasure."""
    old_name = person.name
    person.name = name
    for field in erased:
        model_field = person._meta.get_field(field)
        setattr(person, field, None if model_field.null else "")
    person.custom = {}
    person.updated_by = actor
    person.version += 1
    person.save()
    for entry in AuditEntry.objects.filter(entity=entity_name, object_id=person.pk):
        entry.changes = _scrub(entry.changes, erased)
        entry.object_repr = name
        entry.save(update_fields=["changes", "object_repr"])
    Consent.objects.filter(**{entity_name: person}).update(note="")
    url = reverse(f"web:{entity_name}_detail", args=[person.pk])
    _scrub_notifications(url, old_name, name)
    search.unindex_records(entity_name, [person.pk])
    dedupe.unindex_records(entity_name, [person.pk])
    _scrub_merge_records(entity_name, person.pk, name, erased)
    audit.record(
        actor=actor, entity=entity_name, instance=person, action=AuditAction.ERASE, changes={}
    )
    events.emit(f"{entity_name}.erased", entity=entity_name, id=person.pk, actor_id=actor.pk)
    return person


@transaction.atomic
def contact_erase(*, actor: User, contact: Contact) -> Contact:
    """Anonymise a contact on the person's request and keep the record and its links.

    Personal fields, custom field values, search and duplicate keys, and the personal
    values in the record's change history and in the snapshots of merges are removed;
    consent rows keep only channel and status, so an opt-out still holds. The history
    gains one "erased" entry, without the old values.
    """
    require(actor, "contact", Action.DELETE)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    ensure_in_scope(actor, contact, Action.DELETE)
    return _erase(
        actor=actor,
        entity_name="contact",
        person=contact,
        erased=ERASED_FIELDS,
        name=ERASED_NAME.format(pk=contact.pk),
    )


@transaction.atomic
def account_erase(*, actor: User, account: Account) -> Account:
    """Anonymise an individual customer (a person, not a company) as `contact_erase` does.

    The customer stays, with its number, type, owner, orders and activities; its name,
    phone, email, website, address, postal code, description and custom values go.
    """
    require(actor, "account", Action.DELETE)
    account = Account.objects.select_for_update().get(pk=account.pk)
    ensure_in_scope(actor, account, Action.DELETE)
    if account.kind != AccountKind.INDIVIDUAL:
        raise ValidationError(
            _("Only an individual customer is a person whose data can be erased."),
            code="company",
        )
    return _erase(
        actor=actor,
        entity_name="account",
        person=account,
        erased=ERASED_ACCOUNT_FIELDS,
        name=ERASED_ACCOUNT_NAME.format(pk=account.pk),
    )
