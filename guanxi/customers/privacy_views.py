"""Screens special to contacts: consent, "export this person's data", "erase this person"."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import privacy as masking
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.customers import privacy
from guanxi.customers.choices import AccountKind
from guanxi.customers.documents import personal_data_workbook
from guanxi.customers.forms import ConsentForm
from guanxi.web.views.records import record_or_404


def _consent_add(request, entity_name: str, pk: int):
    entity = registry.get(entity_name)
    require(request.user, entity.name, Action.EDIT)
    person = record_or_404(entity, request.user, pk, Action.EDIT)
    back = reverse(entity.url_name("detail"), args=[person.pk]) + "?tab=privacy"
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a channel, a status and a source."))
        return redirect(back)
    privacy.consent_record(actor=request.user, person=person, **form.cleaned_data)
    messages.success(request, _("The consent was recorded."))
    return redirect(back)


@login_required
@require_POST
def consent_add(request, pk: int):
    """Record a consent or an opt-out of the contact on one channel."""
    return _consent_add(request, "contact", pk)


@login_required
@require_POST
def account_consent_add(request, pk: int):
    """Record a consent or an opt-out of the customer (e.g. an individual) on one channel."""
    return _consent_add(request, "account", pk)


def personal_data_for(user, pk: int, entity_name: str = "contact"):
    """Return (person, data) if the user may export this person's data, else raise.

    A person is a contact or an individual customer; a company is not found here.
    """
    entity = registry.get(entity_name)
    require(user, entity.name, Action.VIEW)
    require(user, entity.name, Action.EXPORT)
    if masking.masks_personal_data(user):
        raise PermissionDenied
    person = record_or_404(entity, user, pk, Action.EXPORT)
    if entity_name == "account" and person.kind != AccountKind.INDIVIDUAL:
        raise Http404
    return person, privacy.personal_data(person, user)


def personal_data_response(person, data, file_format: str) -> HttpResponse:
    filename = f"{person._meta.model_name}-{person.pk}-personal-data"
    if file_format == "xlsx":
        response = HttpResponse(
            personal_data_workbook(data),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return response


@login_required
def personal_data(request, pk: int):
    """Download everything held about this person, as JSON or Excel."""
    contact, data = personal_data_for(request.user, pk)
    return personal_data_response(contact, data, request.GET.get("format", "json"))


@login_required
def account_personal_data(request, pk: int):
    """Download everything held about an individual customer, as JSON or Excel."""
    account, data = personal_data_for(request.user, pk, "account")
    return personal_data_response(account, data, request.GET.get("format", "json"))


def _erase_page(request, entity_name: str, pk: int, erase):
    """Ask for confirmation (typing the person's name), then erase their personal data."""
    entity = registry.get(entity_name)
    require(request.user, entity.name, Action.DELETE)
    person = record_or_404(entity, request.user, pk, Action.DELETE)
    if entity_name == "account" and person.kind != AccountKind.INDIVIDUAL:
        raise Http404
    error = ""
    if request.method == "POST":
        typed = " ".join(request.POST.get("confirm_name", "").split())
        if typed != person.name:
            error = _("Type the name exactly as shown to confirm.")
        else:
            erase(request.user, person)
            messages.success(request, _("The person's personal data was erased."))
            return redirect(reverse(entity.url_name("detail"), args=[person.pk]))
    return render(
        request,
        "customers/contact_erase.html",
        {"entity": entity, "current_entity": entity, "record": person, "error": error},
        status=400 if error else 200,
    )


@login_required
def erase(request, pk: int):
    """Erase a contact's personal data, after confirmation."""
    return _erase_page(
        request,
        "contact",
        pk,
        lambda actor, person: privacy.contact_erase(actor=actor, contact=person),
    )


@login_required
def account_erase(request, pk: int):
    """Erase an individual customer's personal data, after confirmation."""
    return _erase_page(
        request,
        "account",
        pk,
        lambda actor, person: privacy.account_erase(actor=actor, account=person),
    )
