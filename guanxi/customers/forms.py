"""Forms of accounts and contacts."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.forms import EntityForm
from guanxi.core.phones import normalize_phone
from guanxi.customers.choices import ClassificationField
from guanxi.customers.models import Account, Contact


def clean_phone_value(value: str) -> str:
    if value and not normalize_phone(value):
        raise forms.ValidationError(
            _("Enter a valid phone number, e.g. 138 0013 8000 or +1 415 555 0100."),
            code="invalid_phone",
        )
    return value


class InlineCheckboxes(forms.CheckboxSelectMultiple):
    """Tick boxes side by side, in Tabler's markup."""

    template_name = "customers/widgets/inline_checkboxes.html"
    option_template_name = "customers/widgets/inline_checkbox_option.html"


class AccountForm(EntityForm):
    """Edit an account; a classification a user changes by hand is kept out of the rules."""

    entity_name = "account"
    classification_manual = forms.MultipleChoiceField(
        label=gettext_lazy("Set by hand"),
        choices=ClassificationField.choices,
        widget=InlineCheckboxes,
        required=False,
        help_text=gettext_lazy(
            "Classification rules leave these fields alone. Changing a field sets it by hand; "
            "untick it to let the rules keep it again."
        ),
    )
    # Present only on the screen's form: without it (the API) the hand-set fields stay.
    classification_shown = forms.BooleanField(
        widget=forms.HiddenInput, required=False, initial=True
    )

    class Meta:
        model = Account
        fields = [
            "name",
            "account_type",
            "kind",
            "grade",
            "relationship",
            "loyalty",
            "value_class",
            "lifecycle_stage",
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault(
            "classification_manual", list(self.instance.classification_manual or [])
        )
        order = [name for name in self.fields if name != "classification_manual"]
        order.insert(order.index("lifecycle_stage") + 1, "classification_manual")
        self.order_fields(order)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the customer's name."), code="required")
        return name

    def _post_clean(self):
        manual = set(self.instance.classification_manual or [])
        super()._post_clean()
        if self.cleaned_data.get("classification_shown"):
            manual = set(self.cleaned_data.get("classification_manual") or [])
        manual |= {name for name in ClassificationField.values if name in self.changed_data}
        self.instance.classification_manual = sorted(manual)

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
