"""Screens to send email and SMS from a record, meeting invitations, and the message log."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.activities import links, placeholders, queries, sending
from guanxi.activities.choices import (
    Channel,
    MessageDirection,
    MessageStatus,
)
from guanxi.activities.models import Activity, Message, MessageAttachment, MessageTemplate
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Take several uploaded files at once (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def split_addresses(text: str) -> list[str]:
    """Split addresses typed in one box by commas, semicolons, spaces or new lines."""
    for separator in ";，；\n\r\t ":
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


class ComposeForm(forms.Form):
    to = forms.MultipleChoiceField(
        label=gettext_lazy("To"), required=False, widget=forms.CheckboxSelectMultiple
    )
    other = forms.CharField(
        label=gettext_lazy("Other recipients"),
        required=False,
        help_text=gettext_lazy("Separate several with commas."),
    )
    cc = forms.CharField(label=gettext_lazy("Cc"), required=False)
    template = forms.ModelChoiceField(
        label=gettext_lazy("Template"), queryset=MessageTemplate.objects.none(), required=False
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments"), required=False)

    def __init__(self, *args, channel: str, choices: list[sending.Recipient], **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.fields["to"].choices = [(choice.address, choice.label) for choice in choices]
        self.fields["template"].queryset = MessageTemplate.objects.filter(
            channel=channel, is_active=True
        )
        if channel == Channel.SMS:
            for name in ("cc", "subject", "attachments"):
                del self.fields[name]
            self.fields["other"].label = gettext_lazy("Other mobile numbers")

    def addresses(self) -> list[str]:
        return [*self.cleaned_data.get("to", []), *split_addresses(self.cleaned_data["other"])]

    def add_service_errors(self, error: ValidationError) -> None:
        for field, errors in error.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)


def _record(request, entity_name: str, pk: int):
    if links.linkable(entity_name) is None:
        raise Http404
    entity = registry.get(entity_name)
    require(request.user, entity.name, Action.VIEW)
    require(request.user, "activity", Action.CREATE)
    record = get_object_or_404(entity.model.objects.visible_to(request.user, Action.VIEW), pk=pk)
    return entity, record


@login_required
def compose(request, channel: str, entity_name: str, pk: int):
    """Write an email or SMS to a record's contacts; one message per recipient is queued."""
    if channel not in Channel.values:
        raise Http404
    entity, record = _record(request, entity_name, pk)
    choices = sending.recipient_choices(record, request.user, channel)
    bound = request.method == "POST"
    form = ComposeForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        channel=channel,
        choices=choices,
        initial={"to": [choices[0].address] if len(choices) == 1 else []},
    )
    if bound and form.is_valid():
        try:
            recipients = sending.resolve_recipients(record, request.user, channel, form.addresses())
            sent = sending.messages_send(
                actor=request.user,
                channel=channel,
                record=record,
                recipients=recipients,
                subject=form.cleaned_data.get("subject", ""),
                body=form.cleaned_data["body"],
                template=form.cleaned_data["template"],
                cc=split_addresses(form.cleaned_data.get("cc", "")),
                uploads=[
                    sending.Upload.from_file(upload)
                    for upload in form.cleaned_data.get("attachments", [])
                ],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _queued_message(sent))
            return redirect(reverse(entity.url_name("detail"), args=[record.pk]) + "?tab=messages")
    return render(
        request,
        "activities/compose.html",
        {
            "entity": entity,
            "current_entity": entity,
            "record": record,
            "form": form,
            "channel": channel,
            "placeholders": placeholders.available(),
            "has_choices": bool(choices),
        },
        status=400 if form.errors else 200,
    )


def _queued_message(sent: list[Message]) -> str:
    queued = [message for message in sent if message.status != MessageStatus.SKIPPED]
    text = _("%(count)s messages were queued for sending.") % {"count": len(queued)}
    skipped = len(sent) - len(queued)
    if skipped:
        text += " " + _("%(count)s were not sent: the recipient opted out or has no address.") % {
            "count": skipped
        }
    return text


@login_required
def compose_template(request, channel: str, entity_name: str, pk: int):
    """Answer the subject and text fields filled from the chosen template (HTMX)."""
    _entity, record = _record(request, entity_name, pk)
    template = sending.find_template(request.GET.get("template", ""), channel)
    contacts = sending.record_contacts(record, request.user)
    contact = record if entity_name == "contact" else contacts.first()
    preview = None
    if template is not None:
        language = sending.language_of(contact, request.user.language)
        template = sending.template_for(sending.template_variants(template), language, template)
        context = placeholders.context_for(record=record, contact=contact, user=request.user)
        preview = {
            "subject": placeholders.render(template.subject, context),
            "body": placeholders.render(template.body, context),
        }
    return render(
        request,
        "activities/partials/compose_text.html",
        {"template": template, "preview": preview, "channel": channel, "contact": contact},
    )


@login_required
@require_POST
def meeting_invite(request, pk: int):
    """Email the meeting's contacts an invitation they can accept in their calendar."""
    activity = get_object_or_404(Activity.objects.visible_to(request.user, Action.EDIT), pk=pk)
    try:
        sent = sending.invitation_send(actor=request.user, activity=activity)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("Invitations were queued for %(names)s.")
            % {"names": ", ".join(message.to_name or message.to_address for message in sent)},
        )
    return redirect(reverse("web:activity_detail", args=[pk]))


PAGE_SIZE = 50
FILTERS = ("channel", "status", "direction", "date_from", "date_to", "batch")


@login_required
def message_list(request):
    """List the emails and SMS the user may see, newest first, with filters."""
    params = {key: request.GET.get(key, "") for key in FILTERS}
    queryset = queries.message_list_for(request.user, params)
    number = request.GET.get("page", "1")
    number = int(number) if number.isdigit() and int(number) > 0 else 1
    # No COUNT(*) over a large message log: one row more than a page says there is a next.
    rows = list(queryset[(number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1])
    page = {
        "rows": rows[:PAGE_SIZE],
        "number": number,
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if len(rows) > PAGE_SIZE else None,
    }
    return render(
        request,
        "activities/message_list.html",
        {
            "page": page,
            "params": params,
            "channels": Channel.choices,
            "statuses": MessageStatus.choices,
            "directions": MessageDirection.choices,
            "querystring": "&".join(f"{k}={v}" for k, v in params.items() if v),
        },
    )


def visible_message(user, pk: int) -> Message:
    message = queries.messages_visible_to(user).select_related(
        "sender", "account", "contact", "batch", "template", "activity"
    )
    return get_object_or_404(message, pk=pk)


@login_required
def message_detail(request, pk: int):
    """Show one message: text, attachments, delivery state, attempts and last error."""
    message = visible_message(request.user, pk)
    entity = registry.find(message.link_entity or "")
    linked = None
    if entity is not None and message.link_id:
        record = links.linked_record(entity.name, message.link_id, request.user)
        if record is not None:
            linked = {
                "label": f"{entity.verbose_name}: {record}",
                "url": f"/{entity.plural}/{record.pk}/",
            }
    return render(
        request,
        "activities/message_detail.html",
        {
            "message": message,
            "attachments": list(message.attachments.all()),
            "linked": linked,
            "can_resend": message.status == MessageStatus.FAILED
            and message.direction == MessageDirection.OUTBOUND,
        },
    )


@login_required
@require_POST
def message_resend(request, pk: int):
    """Queue a failed message again; the new message's page is shown."""
    message = visible_message(request.user, pk)
    require(request.user, "activity", Action.CREATE)
    try:
        again = sending.message_resend(actor=request.user, message=message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("web:message_detail", pk=pk)
    messages.success(request, _("The message was queued again."))
    return redirect("web:message_detail", pk=again.pk)


@login_required
def message_attachment(request, pk: int):
    """Send an attachment of a message the user may see."""
    attachment = get_object_or_404(
        MessageAttachment.objects.filter(
            message__in=queries.messages_visible_to(request.user).values("pk")
        ),
        pk=pk,
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
