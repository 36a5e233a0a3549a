"""Forms of mailboxes and of filing an unmatched email; the screens and the API share them."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.activities import links
from guanxi.activities.models import Mailbox
from guanxi.core import registry
from guanxi.core.models import Team, User


class MailboxForm(forms.ModelForm):
    """Change a mailbox; the password is write-only: left empty, the stored one is kept."""

    password = forms.CharField(
        label=gettext_lazy("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Stored encrypted and never shown. Leave empty to keep it."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "email",
            "host",
            "port",
            "security",
            "username",
            "password",
            "folder",
            "is_active",
            "users",
            "teams",
        ]

    def __init__(self, *args, shared: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.shared = shared
        if shared:
            self.fields["users"].queryset = User.objects.filter(is_active=True).order_by("username")
            self.fields["teams"].queryset = Team.objects.order_by("name")
        else:
            del self.fields["users"]
            del self.fields["teams"]

    def clean_folder(self):
        return self.cleaned_data["folder"].strip() or "INBOX"

    def clean(self):
        cleaned = super().clean()
        if not self.instance.has_password and not cleaned.get("password"):
            self.add_error("password", _("Enter the mailbox's password."))
        port = cleaned.get("port")
        if port is not None and not 1 <= port <= 65535:
            self.add_error("port", _("Enter a port from 1 to 65535."))
        return cleaned

    @transaction.atomic
    def save_for(self, actor: User) -> Mailbox:
        """Save the mailbox: a personal one is its owner's (the actor's when new)."""
        mailbox = self.save(commit=False)
        if not self.shared and mailbox.owner_id is None:
            mailbox.owner = actor
        if self.shared:
            mailbox.owner = None
        if self.cleaned_data.get("password"):
            mailbox.set_password(self.cleaned_data["password"])
            mailbox.last_error = ""
        mailbox.created_by = mailbox.created_by or actor
        mailbox.updated_by = actor
        mailbox.save()
        self.save_m2m()
        return mailbox


def link_choices() -> list[tuple[str, str]]:
    return [(name, registry.get(name).verbose_name) for name in links.linkable_entities()]


class LinkForm(forms.Form):
    """Choose the record an unmatched email is filed on."""

    entity = forms.ChoiceField(label=gettext_lazy("Record type"), choices=())
    record = forms.IntegerField(label=gettext_lazy("Record"), min_value=1)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["entity"].choices = link_choices()

    def clean(self):
        cleaned = super().clean()
        entity, pk = cleaned.get("entity"), cleaned.get("record")
        if entity and pk:
            record = links.linked_record(entity, pk, self.user)
            if record is None:
                self.add_error("record", _("Choose a record you may see."))
            cleaned["instance"] = record
        return cleaned
