"""Screens of incoming email: mailboxes (own or shared), and the emails nobody matched."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.activities import inbound, mail_fetch, tasks
from guanxi.activities.mailbox_forms import LinkForm, MailboxForm
from guanxi.activities.models import Mailbox, MessageAttachment


def _is_admin(user) -> bool:
    return user.is_superuser or user.is_staff


def _manageable(request, pk: int) -> Mailbox:
    return get_object_or_404(Mailbox.objects.manageable_by(request.user), pk=pk)


@login_required
def mailbox_list(request):
    """List the mailboxes the user may change: their own; administrators' all."""
    mailboxes = (
        Mailbox.objects.manageable_by(request.user)
        .select_related("owner")
        .order_by("owner_id", "name", "id")
    )
    return render(
        request,
        "activities/mailboxes/list.html",
        {"mailboxes": mailboxes, "is_admin": _is_admin(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request, pk: int | None = None):
    """Add or change a mailbox: anyone their own, administrators shared ones."""
    mailbox = _manageable(request, pk) if pk else None
    shared = mailbox.is_shared if mailbox else request.GET.get("shared") == "1"
    if shared and not _is_admin(request.user):
        raise PermissionDenied
    form = MailboxForm(request.POST or None, instance=mailbox, shared=shared)
    if request.method == "POST" and form.is_valid():
        saved = form.save_for(request.user)
        messages.success(request, _("The mailbox “%(name)s” was saved.") % {"name": saved})
        return redirect("web:mailbox_list")
    new_title = _("New shared mailbox") if shared else _("Add my mailbox")
    title = mailbox.name if mailbox else new_title
    return render(
        request,
        "activities/mailboxes/form.html",
        {"form": form, "mailbox": mailbox, "page_title": title, "shared": shared},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_delete(request, pk: int):
    """Delete a mailbox after confirmation; the emails already fetched stay."""
    mailbox = _manageable(request, pk)
    if request.method == "POST":
        mailbox.delete()
        messages.success(request, _("The mailbox “%(name)s” was deleted.") % {"name": mailbox})
        return redirect("web:mailbox_list")
    return render(request, "activities/mailboxes/delete.html", {"mailbox": mailbox})


@login_required
@require_POST
def mailbox_test(request, pk: int):
    """Log in to the mailbox's server and open its folder; say whether that worked."""
    mailbox = _manageable(request, pk)
    error = mail_fetch.mailbox_test(mailbox)
    return render(
        request,
        "activities/mailboxes/partials/test_result.html",
        {"mailbox": mailbox, "error": error},
    )


@login_required
@require_POST
def mailbox_fetch(request, pk: int):
    """Queue a fetch of the mailbox now, instead of waiting for the next scheduled one."""
    mailbox = _manageable(request, pk)
    if not mailbox.is_active:
        messages.error(request, _("The mailbox is not active."))
    else:
        tasks.fetch_mailbox(mailbox.pk)
        messages.success(request, _("The mailbox “%(name)s” is being fetched.") % {"name": mailbox})
    return redirect("web:mailbox_list")


@login_required
def unmatched_list(request):
    """List the incoming emails of the user's mailboxes that no record matched."""
    paginator = Paginator(inbound.unmatched_for(request.user), 50)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "activities/mailboxes/unmatched.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def unmatched_detail(request, pk: int):
    """Show an email and file it on a customer or contact, or on a new contact."""
    message = inbound.readable_message(request.user, pk)
    if message is None:
        raise Http404
    link_form = LinkForm(user=request.user)
    contact_form = None
    action = request.POST.get("action")
    if request.method == "POST" and action == "link":
        link_form = LinkForm(request.POST, user=request.user)
        if link_form.is_valid():
            record = link_form.cleaned_data["instance"]
            inbound.inbound_link(actor=request.user, message=message, record=record)
            messages.success(
                request, _("The email was filed on “%(record)s”.") % {"record": record}
            )
            return redirect("web:unmatched_list")
    elif request.method == "POST" and action == "create_contact":
        contact_form = inbound.contact_form_for(
            actor=request.user, message=message, data=request.POST
        )
        if contact_form.is_valid():
            contact = inbound.inbound_create_contact(
                actor=request.user, message=message, form=contact_form
            )
            messages.success(
                request,
                _("The contact “%(name)s” was created and the email filed on it.")
                % {"name": contact},
            )
            return redirect(reverse("web:contact_detail", args=[contact.pk]))
    name, address = inbound.counterpart_address(message)
    return render(
        request,
        "activities/mailboxes/unmatched_detail.html",
        {
            "message": message,
            "link_form": link_form,
            "contact_form": contact_form,
            "counterpart_name": name or address.split("@")[0],
            "counterpart_address": address,
            "attachments": message.attachments.all(),
        },
        status=400 if (link_form.errors or (contact_form and contact_form.errors)) else 200,
    )


@login_required
def message_attachment(request, pk: int):
    """Send an attachment of an email of a mailbox the user reads."""
    attachment = get_object_or_404(MessageAttachment.objects.select_related("message"), pk=pk)
    message = attachment.message
    if message is None or inbound.readable_message(request.user, message.pk) is None:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
