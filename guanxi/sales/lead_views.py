"""Screens special to leads: status actions, pool, assignment, conversion, email senders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.core import queries
from guanxi.core.choices import Action
from guanxi.core.jobs import job_start
from guanxi.core.permissions import require
from guanxi.sales import lead_capture, lead_conversion, lead_services
from guanxi.sales.choices import LeadStatus
from guanxi.sales.lead_entities import LEAD
from guanxi.sales.lead_forms import AssignForm, ConvertForm, UnqualifyForm
from guanxi.sales.models import Lead
from guanxi.web.views.bulk import INLINE_LIMIT, selection
from guanxi.web.views.records import _page_params, record_or_404

POOL_PAGE_SIZE = 50


def _detail(lead) -> str:
    return reverse("web:lead_detail", args=[lead.pk])


@login_required
@require_http_methods(["GET", "POST"])
def lead_status(request, pk: int, status: str):
    """Mark a lead contacted, qualified, new again, or unqualified with a reason."""
    lead = record_or_404(LEAD, request.user, pk, Action.EDIT)
    if status not in LeadStatus.values or status == LeadStatus.CONVERTED:
        raise Http404
    form = UnqualifyForm(request.POST or None)
    if status == LeadStatus.UNQUALIFIED and not (request.method == "POST" and form.is_valid()):
        return render(
            request,
            "sales/leads/unqualify.html",
            {"record": lead, "form": form},
            status=400 if form.errors else 200,
        )
    if request.method != "POST":
        return redirect(_detail(lead))
    reason = form.cleaned_data.get("reason", "") if status == LeadStatus.UNQUALIFIED else ""
    try:
        lead_services.lead_set_status(actor=request.user, lead=lead, status=status, reason=reason)
    except lead_services.LeadError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The lead is now “%(status)s”.") % {"status": LeadStatus(status).label}
        )
    return redirect(_detail(lead))


@login_required
@require_POST
def lead_claim(request, pk: int):
    """Take a lead from the pool."""
    lead = record_or_404(LEAD, request.user, pk)
    try:
        lead_services.lead_claim(actor=request.user, lead=lead)
    except lead_services.LeadError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(name)s” is yours now.") % {"name": lead})
    return redirect(_detail(lead))


@login_required
@require_POST
def lead_release(request, pk: int):
    """Put a lead back into the pool."""
    lead = record_or_404(LEAD, request.user, pk, Action.EDIT)
    try:
        lead_services.lead_release(actor=request.user, lead=lead)
    except lead_services.LeadError as error:
        messages.error(request, error.message)
        return redirect(_detail(lead))
    messages.success(request, _("“%(name)s” went back to the lead pool.") % {"name": lead})
    if lead_services.sees_pool(request.user):
        return redirect("web:lead_pool")
    return redirect("web:lead_list")


@login_required
@require_http_methods(["GET", "POST"])
def lead_assign(request, pk: int):
    """Give a lead to another owner."""
    require(request.user, LEAD.name, Action.ASSIGN)
    lead = record_or_404(LEAD, request.user, pk)
    form = AssignForm(request.POST or None, initial={"owner": lead.owner_id})
    if request.method == "POST" and form.is_valid():
        try:
            lead_services.lead_assign(
                actor=request.user, lead=lead, owner=form.cleaned_data["owner"]
            )
        except Lead.DoesNotExist:
            raise Http404 from None
        messages.success(
            request,
            _("“%(name)s” now belongs to %(owner)s.")
            % {"name": lead, "owner": form.cleaned_data["owner"]},
        )
        return redirect(_detail(lead))
    return render(
        request,
        "sales/leads/assign.html",
        {"record": lead, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def lead_pool(request):
    """List the leads nobody owns, for users whose roles open the pool."""
    if not lead_services.sees_pool(request.user):
        raise PermissionDenied
    queryset = (
        queries.record_list(LEAD, request.user, request.GET)
        .filter(owner__isnull=True, status__in=lead_services.OPEN_STATUSES)
        .order_by("-score", "-created_at")
    )
    page, _per_page = _page_params(request)
    count, more = queries.capped_count(queryset)
    offset = (max(page, 1) - 1) * POOL_PAGE_SIZE
    return render(
        request,
        "sales/leads/pool.html",
        {
            "leads": list(queryset[offset : offset + POOL_PAGE_SIZE]),
            "count": count,
            "count_more": more,
            "page": page,
            "has_next": count > offset + POOL_PAGE_SIZE,
            "cap": lead_services.pool_settings().max_open_leads,
            "query": request.GET.get("q", ""),
        },
    )


def _choice(raw: str):
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def lead_convert(request, pk: int):
    """Show what the lead looks like among customers and contacts, then convert it."""
    require(request.user, "account", Action.CREATE)
    lead = record_or_404(LEAD, request.user, pk, Action.EDIT)
    if lead.status == LeadStatus.CONVERTED:
        messages.info(request, _("The lead is converted already."))
        return redirect(_detail(lead))
    accounts, contacts = lead_conversion.duplicates_of(lead, request.user)
    initial = {
        "account": str(accounts[0].record.pk) if accounts else "new",
        "contact": "new",
        "opportunity_name": lead.product_interest or lead.company or lead.name,
    }
    form = ConvertForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            converted = lead_conversion.lead_convert(
                actor=request.user,
                lead=lead,
                account=_choice(data["account"]),
                contact=_choice(data["contact"]),
                create_opportunity=data["create_opportunity"],
                opportunity_name=data["opportunity_name"],
                amount=data["amount"],
                allow_duplicate=True,
            )
        except (lead_services.LeadError, PermissionDenied) as error:
            form.add_error(None, getattr(error, "message", "") or _("You may not do this."))
            status = 409
        else:
            messages.success(
                request,
                _("The lead was converted to the customer “%(account)s”.")
                % {"account": converted.converted_account},
            )
            return redirect("web:account_detail", pk=converted.converted_account_id)
    elif form.errors:
        status = 400
    return render(
        request,
        "sales/leads/convert.html",
        {
            "record": lead,
            "form": form,
            "account_matches": accounts,
            "contact_matches": contacts,
            "chosen_account": form["account"].value() or "new",
            "chosen_contact": form["contact"].value() or "new",
        },
        status=status,
    )


@login_required
@require_POST
def leads_bulk_convert(request):
    """Convert the selected leads: at once when few, as a background job when many."""
    require(request.user, LEAD.name, Action.EDIT)
    require(request.user, "account", Action.CREATE)
    queryset = selection(LEAD, request.user, request.POST, Action.EDIT).exclude(
        status=LeadStatus.CONVERTED
    )
    ids = list(queryset.values_list("pk", flat=True)[: INLINE_LIMIT * 20])
    if not ids:
        messages.error(request, _("Tick the leads to convert first."))
        return redirect("web:lead_list")
    if len(ids) > BULK_INLINE:
        job = job_start(
            user=request.user,
            kind="leads_convert",
            title=_("Convert %(count)s leads") % {"count": len(ids)},
            params={"ids": ids},
            total=len(ids),
        )
        return redirect("web:job_detail", pk=job.pk)
    outcome = lead_conversion.leads_convert_bulk(actor=request.user, lead_ids=ids)
    messages.success(request, _("%(converted)s leads converted, %(failed)s not.") % outcome)
    return redirect(reverse("web:lead_list") + "?" + request.POST.get("querystring", ""))


# Conversions run in the request up to this many leads; more go to a background job.
BULK_INLINE = 20


@login_required
@require_POST
def lead_from_unmatched(request, pk: int):
    """Create a lead from an unmatched email's sender and file the email on it."""
    from guanxi.activities import inbound

    message = inbound.readable_message(request.user, pk)
    if message is None:
        raise Http404
    lead = lead_capture.lead_from_email(actor=request.user, message=message)
    messages.success(
        request, _("The lead “%(name)s” was created and the email filed on it.") % {"name": lead}
    )
    return redirect(_detail(lead))
