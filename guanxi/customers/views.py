"""Screens special to accounts and contacts; the generic ones come from the registry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.customers import services
from guanxi.customers.entities import ACCOUNT, CONTACT
from guanxi.customers.forms import ContactAccountLinkForm
from guanxi.web.views.records import record_or_404


def _contact_accounts_url(contact) -> str:
    return reverse("web:contact_detail", args=[contact.pk]) + "?tab=accounts"


@login_required
def contact_account_link(request, pk: int):
    """Link a contact to a further customer with their role there."""
    require(request.user, CONTACT.name, Action.EDIT)
    contact = record_or_404(CONTACT, request.user, pk, Action.EDIT)
    form = ContactAccountLinkForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_link_account(
                actor=request.user,
                contact=contact,
                account=form.cleaned_data["account"],
                role=form.cleaned_data["role"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                _("%(contact)s is now linked to %(account)s.")
                % {"contact": contact, "account": form.cleaned_data["account"]},
            )
            return redirect(_contact_accounts_url(contact))
    return render(
        request,
        "customers/contact_account_link.html",
        {"form": form, "record": contact, "entity": CONTACT, "current_entity": CONTACT},
    )


@login_required
@require_POST
def contact_account_unlink(request, pk: int, account_id: int):
    """Remove a contact's link to a further customer."""
    require(request.user, CONTACT.name, Action.EDIT)
    contact = record_or_404(CONTACT, request.user, pk, Action.EDIT)
    account = record_or_404(ACCOUNT, request.user, account_id)
    try:
        services.contact_unlink_account(actor=request.user, contact=contact, account=account)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The link to %(account)s was removed.") % {"account": account})
    return redirect(_contact_accounts_url(contact))
