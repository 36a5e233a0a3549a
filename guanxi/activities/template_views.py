"""Settings screen of message templates (administrators): list, create, change, delete."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.activities import placeholders
from guanxi.activities.choices import Channel
from guanxi.activities.models import MessageTemplate
from guanxi.web.views.decorators import settings_required


class MessageTemplateForm(forms.ModelForm):
    """Validate a template: subject for email, known placeholders, one per name and language."""

    class Meta:
        model = MessageTemplate
        fields = [
            "channel",
            "name",
            "language",
            "subject",
            "body",
            "provider_template",
            "is_active",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def clean(self):
        cleaned = super().clean()
        channel = cleaned.get("channel")
        for field in ("subject", "body"):
            wrong = placeholders.unknown(cleaned.get(field) or "")
            if wrong:
                self.add_error(
                    field,
                    _("Unknown placeholder: %(names)s")
                    % {"names": ", ".join("{{ " + name + " }}" for name in wrong)},
                )
        if channel == Channel.EMAIL and not (cleaned.get("subject") or "").strip():
            self.add_error("subject", _("An email template needs a subject."))
        if channel == Channel.SMS:
            cleaned["subject"] = ""
        if channel == Channel.EMAIL:
            cleaned["provider_template"] = ""
        return cleaned

    def validate_unique(self):
        # One clear message instead of the generic one of the unique constraint.
        clash = MessageTemplate.objects.filter(
            channel=self.cleaned_data.get("channel"),
            name=self.cleaned_data.get("name"),
            language=self.cleaned_data.get("language", ""),
        ).exclude(pk=self.instance.pk)
        if clash.exists():
            self.add_error("name", _("A template with this name exists already in this language."))


def template_save(*, actor, form: MessageTemplateForm) -> MessageTemplate:
    """Save a validated template form, recording who changed it."""
    with transaction.atomic():
        template = form.save(commit=False)
        template.subject = form.cleaned_data.get("subject", "")
        template.provider_template = form.cleaned_data.get("provider_template", "")
        if template.pk is None:
            template.created_by = actor
        template.updated_by = actor
        template.save()
    return template


@settings_required
def template_list(request):
    """List the templates, filtered by channel."""
    channel = request.GET.get("channel", "")
    templates = MessageTemplate.objects.order_by("channel", "name", "language")
    if channel in Channel.values:
        templates = templates.filter(channel=channel)
    return render(
        request,
        "activities/settings/templates.html",
        {
            "settings_section": "templates",
            "templates": templates,
            "channel": channel,
            "channels": Channel.choices,
        },
    )


@settings_required
@require_http_methods(["GET", "POST"])
def template_edit(request, pk: int | None = None):
    """Create or change a template; unknown placeholders are refused."""
    template = get_object_or_404(MessageTemplate, pk=pk) if pk else None
    initial = {"channel": request.GET.get("channel")} if template is None else None
    form = MessageTemplateForm(request.POST or None, instance=template, initial=initial)
    if request.method == "POST" and form.is_valid():
        template = template_save(actor=request.user, form=form)
        messages.success(request, _("The template “%(name)s” was saved.") % {"name": template})
        return redirect("web:message_template_list")
    return render(
        request,
        "activities/settings/template_form.html",
        {
            "settings_section": "templates",
            "form": form,
            "template_obj": template,
            "placeholders": placeholders.available(),
        },
        status=400 if form.errors else 200,
    )


@settings_required
@require_http_methods(["GET", "POST"])
def template_delete(request, pk: int):
    """Delete a template after confirmation; messages sent with it keep their text."""
    template = get_object_or_404(MessageTemplate, pk=pk)
    if request.method == "POST":
        template.delete()
        messages.success(request, _("The template “%(name)s” was deleted.") % {"name": template})
        return redirect("web:message_template_list")
    context = {
        "settings_section": "templates",
        "page_title": _("Delete the template “%(name)s”") % {"name": template},
        "question": _("Messages already sent with it keep their text."),
        "confirm_label": _("Delete"),
        "cancel_url": reverse("web:message_template_list"),
    }
    return render(request, "web/settings/org_confirm.html", context)
