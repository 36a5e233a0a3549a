"""Screens of the public pool and of customer ownership: claim, release, assign, transfer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core import queries
from guanxi.core.choices import Action
from guanxi.core.jobs import job_handler, job_start
from guanxi.core.permissions import can, require
from guanxi.customers import ownership, services
from guanxi.customers.entities import ACCOUNT, CONTACT
from guanxi.customers.forms import ContactAccountLinkForm, ReleaseForm, TransferForm
from guanxi.customers.models import Account
from guanxi.web.views.bulk import INLINE_LIMIT, _as_querydict, _selection_params, selection
from guanxi.web.views.records import _page_params, record_or_404

POOL_PAGE_SIZE = 50


def _detail(account) -> str:
    return reverse("web:account_detail", args=[account.pk])


def _ids(request) -> list[int]:
    return [int(value) for value in request.POST.getlist("ids") if str(value).isdigit()]


@login_required
def pool_page(request):
    """Show the public pools the user may use, the customers in one, and claim buttons."""
    require(request.user, ACCOUNT.name, Action.VIEW)
    pools = list(ownership.accessible_pools(request.user))
    chosen = next((p for p in pools if str(p.pk) == request.GET.get("pool")), None)
    chosen = chosen or (pools[0] if pools else None)
    context = {"pools": pools, "pool": chosen, "query": request.GET.get("q", "")}
    if chosen is not None:
        queryset = queries.record_list(ACCOUNT, request.user, request.GET).filter(
            pool=chosen, owner__isnull=True
        )
        if not request.GET.get("ordering"):
            queryset = queryset.order_by("-pooled_at", "-id")
        page, _per_page = _page_params(request)
        count, more = queries.capped_count(queryset)
        last_page = max((count + POOL_PAGE_SIZE - 1) // POOL_PAGE_SIZE, 1)
        page = min(page, last_page)
        offset = (page - 1) * POOL_PAGE_SIZE
        cap = ownership.account_cap(request.user)
        context.update(
            {
                "accounts": list(queryset[offset : offset + POOL_PAGE_SIZE]),
                "count": count,
                "count_more": more,
                "page": page,
                "last_page": last_page,
                "cap": cap,
                "owned": ownership.owned_count(request.user) if cap is not None else None,
                "can_assign": can(request.user, ACCOUNT.name, Action.ASSIGN),
            }
        )
    template = (
        "customers/partials/pool_results.html"
        if request.htmx_target == "pool-results"
        else "customers/pool.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def pool_claim(request):
    """Claim the ticked customers of a pool: all of them, or none with the reason why."""
    ids = _ids(request)
    back = reverse("web:pool") + "?" + request.POST.get("querystring", "")
    if not ids:
        messages.error(request, _("Tick the customers to claim first."))
        return redirect(back)
    try:
        accounts = services.accounts_claim(actor=request.user, account_ids=ids)
    except Account.DoesNotExist:
        raise Http404 from None
    except services.OwnershipError as error:
        messages.error(request, error.message)
        return redirect(back)
    if len(accounts) == 1:
        messages.success(request, _("“%(name)s” is yours now.") % {"name": accounts[0]})
        return redirect(_detail(accounts[0]))
    messages.success(request, _("%(count)s customers are yours now.") % {"count": len(accounts)})
    return redirect(back)


@login_required
@require_POST
def account_claim(request, pk: int):
    """Claim one customer from its page."""
    account = record_or_404(ACCOUNT, request.user, pk)
    try:
        services.account_claim(actor=request.user, account=account)
    except Account.DoesNotExist:
        raise Http404 from None
    except services.OwnershipError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(name)s” is yours now.") % {"name": account})
    return redirect(_detail(account))


@login_required
def account_release(request, pk: int):
    """Ask for a reason, then put the customer back into the public pool."""
    account = record_or_404(ACCOUNT, request.user, pk, Action.EDIT)
    form = ReleaseForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.account_release(
                actor=request.user,
                account=account,
                reason=form.cleaned_data["reason"],
                pool=form.cleaned_data["pool"],
            )
        except services.OwnershipError as error:
            form.add_error(None, error.message)
            status = 409
        else:
            messages.success(
                request, _("“%(name)s” is back in the public pool.") % {"name": account}
            )
            return redirect(_detail(account) if _still_visible(request, account) else "web:pool")
    elif form.errors:
        status = 400
    context = _owner_context(account, form, "release")
    return render(request, "customers/owner_change.html", context, status=status)


def _still_visible(request, account) -> bool:
    return Account.objects.visible_to(request.user, Action.VIEW).filter(pk=account.pk).exists()


def _owner_context(account, form, kind: str, count: int | None = None, params=None) -> dict:
    titles = {
        "release": _("Release to the public pool"),
        "assign": _("Assign"),
        "transfer": _("Transfer"),
    }
    return {
        "entity": ACCOUNT,
        "current_entity": ACCOUNT,
        "record": account,
        "form": form,
        "kind": kind,
        "page_title": titles[kind],
        "count": count,
        "selection": params,
        "related": ownership.related_movers(),
    }


@login_required
def account_owner_change(request, pk: int, kind: str):
    """Assign (分配) or transfer (转移) one customer to a new owner."""
    require(request.user, ACCOUNT.name, Action.ASSIGN)
    account = record_or_404(ACCOUNT, request.user, pk, Action.ASSIGN)
    form = TransferForm(request.POST or None, assign_only=kind == "assign")
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "assign":
                services.account_assign(actor=request.user, account=account, owner=data["owner"])
            else:
                account = services.account_transfer(
                    actor=request.user,
                    account=account,
                    owner=data["owner"],
                    include_contacts=data["include_contacts"],
                    include_related=data["include_related"],
                )
        except services.OwnershipError as error:
            form.add_error(None, error.message)
            status = 409
        else:
            pending = getattr(account, "pending_approval", None)
            if pending is not None:
                messages.info(
                    request,
                    _("The transfer to %(owner)s needs approval; it was sent to “%(process)s”.")
                    % {"owner": data["owner"], "process": pending.process.name},
                )
                return redirect(reverse("web:approval_detail", args=[pending.pk]))
            messages.success(
                request,
                _("“%(name)s” now belongs to %(owner)s.")
                % {"name": account, "owner": data["owner"]},
            )
            return redirect(_detail(account))
    elif form.errors:
        status = 400
    return render(
        request,
        "customers/owner_change.html",
        _owner_context(account, form, kind),
        status=status,
    )


@login_required
def accounts_bulk_owner(request, kind: str):
    """Transfer or release the selected customers of the list; large selections run as a job."""
    action = Action.ASSIGN if kind == "transfer" else Action.EDIT
    require(request.user, ACCOUNT.name, action)
    queryset = selection(ACCOUNT, request.user, request.POST, action)
    count, more = queries.capped_count(queryset)
    form_class = TransferForm if kind == "transfer" else ReleaseForm
    form = form_class(request.POST if "apply" in request.POST else None)
    status = 200
    if "apply" in request.POST and form.is_valid():
        if more or count > INLINE_LIMIT:
            job = job_start(
                user=request.user,
                kind="account_owner_bulk",
                title=_("Bulk change of owner of customers"),
                params={
                    "kind": kind,
                    "selection": _selection_params(request),
                    "data": _job_data(form),
                },
            )
            return redirect("web:job_detail", pk=job.pk)
        pending: list = []
        try:
            ids = list(queryset.values_list("pk", flat=True))
            changed = _bulk_apply(request.user, kind, ids, form.cleaned_data, pending)
        except services.OwnershipError as error:
            form.add_error(None, error.message)
            status = 409
        else:
            messages.success(request, _("%(count)s customers were changed.") % {"count": changed})
            if pending:
                messages.info(
                    request,
                    _("%(count)s customers wait for approval before they move.")
                    % {"count": len(pending)},
                )
            back = reverse("web:account_list") + "?" + request.POST.get("querystring", "")
            return redirect(back)
    elif form.errors:
        status = 400
    context = _owner_context(None, form, kind, count=count, params=_selection_params(request))
    context["count_more"] = more
    return render(request, "customers/owner_change.html", context, status=status)


def _job_data(form) -> dict:
    data = dict(form.cleaned_data)
    for key in ("owner", "pool"):
        if data.get(key) is not None:
            data[key] = data[key].pk
    return data


def _bulk_apply(actor, kind: str, ids: list[int], data: dict, pending=None) -> int:
    if kind == "transfer":
        changed = services.accounts_transfer(
            actor=actor,
            account_ids=ids,
            owner=data["owner"],
            include_contacts=data.get("include_contacts", False),
            include_related=data.get("include_related", False),
            pending=pending,
        )
    else:
        changed = services.accounts_release(
            actor=actor, account_ids=ids, reason=data["reason"], pool=data.get("pool")
        )
    return len(changed)


@job_handler("account_owner_bulk")
def run_bulk_owner(job, progress) -> dict:
    """Change the owner of a large selection, 500 customers per transaction."""
    from guanxi.core.models import User
    from guanxi.customers.models import Pool

    kind = job.params["kind"]
    action = Action.ASSIGN if kind == "transfer" else Action.EDIT
    selected = selection(ACCOUNT, job.user, _as_querydict(job.params["selection"]), action)
    data = dict(job.params["data"])
    if data.get("owner"):
        data["owner"] = User.objects.get(pk=data["owner"])
    if data.get("pool"):
        data["pool"] = Pool.objects.get(pk=data["pool"])
    ids = list(selected.order_by("pk").values_list("pk", flat=True))
    progress.set_total(len(ids))
    changed = 0
    for start in range(0, len(ids), INLINE_LIMIT):
        chunk = ids[start : start + INLINE_LIMIT]
        changed += _bulk_apply(job.user, kind, chunk, data)
        progress(len(chunk))
    return {
        "count": changed,
        "message": _("%(count)s customers were changed.") % {"count": changed},
    }


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
