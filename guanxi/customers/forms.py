"""Forms of accounts and contacts."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from guanxi.core.choices import Action
from guanxi.core.forms import EntityForm
from guanxi.core.models import User
from guanxi.core.phones import normalize_phone
from guanxi.core.widgets import AutocompleteSelect
from guanxi.customers.choices import ContactRole
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


class ContactAccountLinkForm(forms.Form):
    """Link a contact to a further customer, choosing among the customers the user may see."""

    account = forms.ModelChoiceField(queryset=Account.objects.none(), label=_lazy("Customer"))
    role = forms.ChoiceField(
        choices=[("", "---------"), *ContactRole.choices], required=False, label=_lazy("Role")
    )
    title = forms.CharField(max_length=100, required=False, label=_lazy("Job title"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        field.queryset = Account.objects.visible_to(user, Action.VIEW)
        field.widget = AutocompleteSelect(entity="account")
        field.widget.choices = field.choices
