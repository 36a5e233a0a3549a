"""Capture of leads without a form of ours: embedded web forms and unknown email senders."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import audit, dedupe, registry
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import require
from guanxi.core.services import record_written
from guanxi.customers.choices import Source
from guanxi.customers.forms import clean_phone_value
from guanxi.sales.lead_scoring import lead_rescore
from guanxi.sales.lead_services import OPEN_STATUSES, lead_apply_rules, lead_number
from guanxi.sales.models import Lead, LeadWebForm
from guanxi.sales.models.lead_rules import WEB_FORM_FIELDS

# The invisible field people never fill and form-filling robots do.
HONEYPOT = "website_url"
REACH_FIELDS = ("mobile", "phone", "email")
FIELD_LIMITS = {"description": 2000, "email": 254}


class PublicLeadForm(forms.Form):
    """Validate a web-to-lead submission: the fields the form shows, and the consent."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)

    def __init__(self, web_form: LeadWebForm, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.web_form = web_form
        labels = dict(WEB_FORM_FIELDS)
        for key in web_form.fields:
            if key not in labels:
                continue
            if key == "email":
                self.fields[key] = forms.EmailField(label=labels[key], required=False)
            elif key == "description":
                self.fields[key] = forms.CharField(
                    label=labels[key], required=False, max_length=2000, widget=forms.Textarea
                )
            else:
                self.fields[key] = forms.CharField(
                    label=labels[key], required=False, max_length=200
                )
        self.fields["consent"] = forms.BooleanField(
            label=web_form.consent_text,
            error_messages={"required": _("Please agree so that we may contact you.")},
        )
        self.fields[HONEYPOT] = forms.CharField(required=False)

    def clean_mobile(self):
        return clean_phone_value(self.cleaned_data.get("mobile", ""))

    def clean_phone(self):
        return clean_phone_value(self.cleaned_data.get("phone", ""))

    def clean(self):
        cleaned = super().clean()
        shown = [name for name in REACH_FIELDS if name in self.fields]
        if shown and not any(cleaned.get(name) for name in shown):
            self.add_error(shown[0], _("Enter a phone number or an email address to reach you."))
        return cleaned

    def is_spam(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())


def _values(form: PublicLeadForm) -> dict:
    data = form.cleaned_data
    keys = ["name", *[key for key, _label in WEB_FORM_FIELDS if key in form.fields]]
    return {key: (data.get(key) or "").strip() for key in keys}


def _merge_into(lead: Lead, values: dict, web_form: LeadWebForm) -> Lead:
    """Fill the blanks of an open lead from a repeated submission and note it in history."""
    before = audit.snapshot(lead)
    for key, value in values.items():
        if key == "description" and value and value not in lead.description:
            lead.description = "\n\n".join(filter(None, [lead.description, value]))
        elif value and not getattr(lead, key):
            setattr(lead, key, value)
    lead.consent_at = timezone.now()
    lead.consent_text = web_form.consent_text[:300]
    lead.save()
    changes = audit.diff(before, audit.snapshot(lead))
    changes["web_form_submission"] = [None, web_form.name]
    audit.record(
        actor=None, entity="lead", instance=lead, action=AuditAction.UPDATE, changes=changes
    )
    return lead


def _open_duplicate(values: dict) -> Lead | None:
    check = dedupe.duplicate_check("lead", values, limit=5)
    for match in check.matches:
        if match.record.status in OPEN_STATUSES:
            return match.record
    return None


def lead_create_unattended(*, actor: User | None, values: dict, owner: User | None) -> Lead:
    """Create a lead nobody typed in (web form, email): numbered, assigned, scored."""
    lead = Lead(**values, number=lead_number(), owner=owner, created_by=actor, updated_by=actor)
    if owner is not None:
        lead.assigned_at = timezone.now()
    lead.save()
    after = audit.snapshot(lead)
    record_written(
        actor=actor,
        entity=registry.get("lead"),
        instance=lead,
        action=AuditAction.CREATE,
        changes={key: [None, value] for key, value in after.items() if value not in (None, "")},
    )
    if owner is None:
        lead_apply_rules(lead=lead, actor=actor)
    lead_rescore(lead)
    return lead


@transaction.atomic
def lead_capture_web(*, web_form: LeadWebForm, form: PublicLeadForm) -> tuple[Lead, bool]:
    """Store a valid web-to-lead submission; return (lead, merged into an existing one)."""
    values = _values(form)
    LeadWebForm.objects.filter(pk=web_form.pk).update(submissions=F("submissions") + 1)
    existing = _open_duplicate(values)
    if existing is not None:
        merged = _merge_into(existing, values, web_form)
        lead_rescore(merged)
        return merged, True
    values.update(
        source=web_form.source or Source.WEBSITE,
        source_detail=web_form.name[:200],
        web_form=web_form,
        consent_at=timezone.now(),
        consent_text=web_form.consent_text[:300],
    )
    owner = web_form.owner if web_form.owner and web_form.owner.is_active else None
    return lead_create_unattended(actor=None, values=values, owner=owner), False


@transaction.atomic
def lead_from_email(*, actor: User, message) -> Lead:
    """Create a lead from an unmatched email's sender and file the email (and thread) on it."""
    from guanxi.activities import inbound

    require(actor, "lead", Action.CREATE)
    if inbound.readable_message(actor, message.pk) is None:
        raise Lead.DoesNotExist
    name, address = inbound.counterpart_address(message)
    values = {
        "name": (name or address.split("@")[0] or address)[:100],
        "email": address[:254],
        "company": _company_of(address),
        "source": Source.OTHER,
        "source_detail": _("Email: %(subject)s") % {"subject": message.subject[:150]},
        "description": message.subject,
    }
    lead = lead_create_unattended(actor=actor, values=values, owner=None)
    if lead.owner_id is None:
        lead.owner = actor
        lead.assigned_at = timezone.now()
        lead.save(update_fields=["owner", "assigned_at"])
    inbound.inbound_link(actor=actor, message=message, record=lead)
    lead_rescore(lead)
    return lead


FREE_MAIL = {"qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "hotmail.com", "sina.com"}


def _company_of(address: str) -> str:
    domain = address.rpartition("@")[2].lower()
    if not domain or domain in FREE_MAIL:
        return ""
    return domain
