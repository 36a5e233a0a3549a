"""Forms of accounts and contacts."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.forms import EntityForm
from guanxi.core.models import Group, GroupMember, User
from guanxi.core.phones import normalize_phone
from guanxi.core.widgets import AutocompleteSelect
from guanxi.customers.choices import (
    ClassificationField,
    ConsentChannel,
    ConsentSource,
    ConsentStatus,
    ContactRole,
)
from guanxi.customers.models import Account, Contact, Pool
from guanxi.customers.ownership import cap_problem
from guanxi.workflow.forms import ConditionsField


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


# The classification fields a user may set by hand (a choices class builds its list anew
# on each reading).
_CLASSIFICATION_FIELDS = tuple(ClassificationField.values)


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
        manual |= {name for name in _CLASSIFICATION_FIELDS if self.field_changed(name)}
        self.instance.classification_manual = sorted(manual)

    def clean_phone(self):
        return clean_phone_value(self.cleaned_data.get("phone", ""))

    def clean_owner(self):
        owner = super().clean_owner()
        in_pool = self.instance.pk and self.instance.owner_id is None and self.instance.pool_id
        if owner is not None and in_pool:
            # Giving a pool customer an owner takes it out of the pool, like a claim.
            problem = cap_problem(owner, 1)
            if problem:
                raise forms.ValidationError(problem, code="cap")
        return owner


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


class ContactAccountLinkForm(forms.Form):
    """Link a contact to a further customer, choosing among the customers the user may see."""

    account = forms.ModelChoiceField(
        queryset=Account.objects.none(), label=gettext_lazy("Customer")
    )
    role = forms.ChoiceField(
        choices=[("", "---------"), *ContactRole.choices],
        required=False,
        label=gettext_lazy("Role"),
    )
    title = forms.CharField(max_length=100, required=False, label=gettext_lazy("Job title"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        field.queryset = Account.objects.visible_to(user, Action.VIEW)
        field.widget = AutocompleteSelect(entity="account")
        field.widget.choices = field.choices


class ReleaseForm(forms.Form):
    """Ask why customers go back to the public pool, and optionally which pool."""

    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)
    pool = forms.ModelChoiceField(
        label=gettext_lazy("Public pool"),
        queryset=Pool.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("The customer's own pool"),
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Say why the customer goes back to the pool."))
        return reason


class TransferForm(forms.Form):
    """Choose the new owner and what moves with the customers."""

    owner = forms.ModelChoiceField(
        label=gettext_lazy("New owner"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
    )
    include_contacts = forms.BooleanField(
        label=gettext_lazy("Also transfer the contacts the previous owner holds"),
        required=False,
        initial=True,
    )
    include_related = forms.BooleanField(
        label=gettext_lazy("Also transfer their open deals and tasks"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, assign_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if assign_only:
            del self.fields["include_contacts"]
            del self.fields["include_related"]


class PoolForm(forms.ModelForm):
    """Set up a public pool: who may use it and when customers return to it."""

    conditions = ConditionsField(
        entity_name="account",
        label=gettext_lazy("Return only customers that meet"),
        help_text=gettext_lazy(
            "E.g. customer grade is Ordinary. Empty: the return rule applies to every customer."
        ),
    )

    class Meta:
        model = Pool
        fields = [
            "name",
            "description",
            "roles",
            "departments",
            "days_without_follow_up",
            "days_without_deal",
            "warning_days",
            "conditions",
            "is_default",
            "is_active",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "roles": forms.CheckboxSelectMultiple,
            "departments": forms.CheckboxSelectMultiple,
        }

    def clean_is_default(self):
        is_default = self.cleaned_data["is_default"]
        others = Pool.objects.filter(is_default=True).exclude(pk=self.instance.pk)
        if is_default and others.exists():
            raise forms.ValidationError(
                _("%(pool)s is the default pool already; untick it there first.")
                % {"pool": others.first()}
            )
        return is_default

    def clean(self):
        cleaned = super().clean()
        warning = cleaned.get("warning_days") or 0
        days = [
            d
            for d in (cleaned.get("days_without_follow_up"), cleaned.get("days_without_deal"))
            if d
        ]
        if days and warning >= min(days):
            self.add_error(
                "warning_days",
                _("Warn fewer days before the return than the rule allows in all."),
            )
        return cleaned


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
