"""Forms of accounts and contacts."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import registry
from guanxi.core.forms import EntityForm
from guanxi.core.models import Group, GroupMember
from guanxi.core.phones import normalize_phone
from guanxi.customers.choices import ConsentChannel, ConsentSource, ConsentStatus
from guanxi.customers.models import Account, Contact


def clean_phone_value(value: str) -> str:
    if value and not normalize_phone(value):
        raise forms.ValidationError(
            _("Enter a valid phone number, e.g. 138 0013 8000 or +1 415 555 0100."),
            code="invalid_phone",
        )
    return value


class AccountForm(EntityForm):
    entity_name = "account"

    class Meta:
        model = Account
        fields = [
            "name",
            "account_type",
            "kind",
            "grade",
            "industry",
            "source",
            "owner",
            "phone",
            "email",
            "website",
            "country",
            "province",
            "city",
            "address",
            "postal_code",
            "annual_revenue",
            "currency",
            "employees",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the customer's name."), code="required")
        return name

    def clean_phone(self):
        return clean_phone_value(self.cleaned_data.get("phone", ""))


class ContactForm(EntityForm):
    entity_name = "contact"

    class Meta:
        model = Contact
        fields = [
            "name",
            "account",
            "title",
            "department",
            "role",
            "gender",
            "birthday",
            "mobile",
            "phone",
            "email",
            "wechat",
            "id_number",
            "address",
            "is_primary",
            "owner",
            "preferences",
            "notes",
        ]
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "preferences": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the contact's name."), code="required")
        return name

    def clean_mobile(self):
        return clean_phone_value(self.cleaned_data.get("mobile", ""))

    def clean_phone(self):
        return clean_phone_value(self.cleaned_data.get("phone", ""))


class GroupForm(EntityForm):
    entity_name = "group"

    class Meta:
        model = Group
        fields = ["name", "entity", "description", "owner"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"] = forms.ChoiceField(
            label=self.fields["entity"].label,
            choices=[
                (entity.name, str(entity.verbose_name_plural).capitalize())
                for entity in registry.entities()
                if entity.has_groups
            ],
        )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the group's name."), code="required")
        return name

    def clean_entity(self):
        entity = self.cleaned_data["entity"]
        if (
            self.instance.pk
            and entity != self.instance.entity
            and GroupMember.objects.filter(group=self.instance).exists()
        ):
            raise forms.ValidationError(
                _("A group with members keeps its record type."), code="entity_locked"
            )
        return entity


class ConsentForm(forms.Form):
    """Record a person's consent or opt-out on one channel."""

    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=ConsentChannel.choices)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=ConsentStatus.choices)
    source = forms.ChoiceField(
        label=gettext_lazy("Source"), choices=ConsentSource.choices, initial=ConsentSource.FORM
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)
