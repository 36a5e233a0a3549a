"""The SMS settings screen: the backend in use, the webhook URLs, statistics, a test SMS."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from guanxi.activities.choices import Channel
from guanxi.activities.models import MessageTemplate
from guanxi.activities.sms import queries
from guanxi.activities.sms.segments import sms_segments
from guanxi.activities.sms.sender import configured_backend
from guanxi.activities.sms.services import sms_send_test
from guanxi.core.phones import normalize_phone
from guanxi.web.views.decorators import settings_required


class TestSmsForm(forms.Form):
    to = forms.CharField(label=pgettext_lazy("sms settings", "Mobile number"), max_length=40)
    template = forms.ModelChoiceField(
        label=pgettext_lazy("sms settings", "Template"),
        queryset=MessageTemplate.objects.none(),
        required=False,
        help_text=gettext_lazy("Required by providers that send only approved templates."),
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        max_length=500,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "hx-post": reverse_lazy("web:sms_segments"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#sms-segments",
            }
        ),
    )

    def __init__(self, *args, needs_template: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_template = needs_template
        self.fields["template"].queryset = MessageTemplate.objects.filter(
            channel=Channel.SMS, is_active=True
        )

    def clean_to(self):
        number = normalize_phone(self.cleaned_data["to"])
        if not number:
            raise forms.ValidationError(
                pgettext("sms settings", "Enter a valid mobile number."), code="invalid"
            )
        return number

    def clean(self):
        cleaned = super().clean()
        template, text = cleaned.get("template"), cleaned.get("text")
        if self.needs_template and (template is None or not template.provider_template):
            self.add_error(
                "template",
                _(
                    "The SMS provider sends only templates it approved: choose a template "
                    "that has the provider's template code."
                ),
            )
        elif template is None and not text:
            self.add_error("text", _("Enter a text or choose a template."))
        return cleaned


def _needs_template() -> bool:
    try:
        return configured_backend().needs_template
    except ImproperlyConfigured:
        return False


@settings_required
def sms_settings(request):
    """Show the SMS backend, webhook URLs and statistics; send a test SMS."""
    form = TestSmsForm(request.POST or None, needs_template=_needs_template())
    if request.method == "POST" and form.is_valid():
        message = sms_send_test(
            actor=request.user,
            to=form.cleaned_data["to"],
            text=form.cleaned_data["text"],
            template=form.cleaned_data["template"],
        )
        message.refresh_from_db()
        level = messages.ERROR if message.status in ("failed", "skipped") else messages.SUCCESS
        text = _("Test SMS to %(number)s: %(status)s.") % {
            "number": message.to_address,
            "status": message.get_status_display(),
        }
        if message.last_error:
            text = f"{text} {message.last_error}"
        messages.add_message(request, level, text)
        return redirect("web:sms_settings")
    configuration = queries.sms_configuration(request)
    recent = queries.recent_sms()
    return render(
        request,
        "activities/sms_settings.html",
        {
            "settings_section": "sms",
            "configuration": configuration,
            "stats": queries.sms_stats(),
            "recent": recent,
            "form": form,
            "segments": sms_segments(request.POST.get("text", ""), configuration["sign_name"]),
            "placeholder_example": "{{ contact.name }}",
            "parameter_example": "${contact_name}",
        },
    )


@settings_required
def sms_segments_count(request):
    """Answer the parts a text takes with the configured signature (the form's live count)."""
    try:
        sign_name = configured_backend().sign_name
    except ImproperlyConfigured:
        sign_name = ""
    return render(
        request,
        "activities/partials/sms_segments.html",
        {"segments": sms_segments(request.POST.get("text", ""), sign_name)},
    )
