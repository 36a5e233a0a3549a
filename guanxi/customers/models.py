"""Accounts (客户) and contacts (联系人)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import OwnedModel
from guanxi.core.money import AmountField, CurrencyField
from guanxi.core.phones import normalize_phone
from guanxi.customers.choices import (
    AccountKind,
    AccountType,
    ContactRole,
    Gender,
    Grade,
    Industry,
    LifecycleStage,
    Loyalty,
    Relationship,
    Source,
    ValueClass,
)

# Columns only the points ledger writes (guanxi.customers.points).
LEDGER_FIELDS = frozenset({"points_balance", "points_lifetime", "membership_level"})


class Account(OwnedModel):
    """Hold a company or person we sell to or serve: customers, prospects, partners, rivals."""

    number = models.CharField(_("customer number"), max_length=30, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    account_type = models.CharField(
        _("type"), max_length=20, choices=AccountType.choices, default=AccountType.CUSTOMER
    )
    kind = models.CharField(
        _("company or individual"),
        max_length=20,
        choices=AccountKind.choices,
        default=AccountKind.COMPANY,
    )
    grade = models.CharField(_("customer grade"), max_length=20, choices=Grade.choices, blank=True)
    relationship = models.CharField(
        _("relationship"), max_length=20, choices=Relationship.choices, blank=True
    )
    loyalty = models.CharField(_("loyalty"), max_length=20, choices=Loyalty.choices, blank=True)
    value_class = models.CharField(
        _("value class"), max_length=20, choices=ValueClass.choices, blank=True
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=20, choices=LifecycleStage.choices, blank=True
    )
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    source = models.CharField(_("source"), max_length=30, choices=Source.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_e164 = models.CharField(max_length=20, blank=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    country = models.CharField(_("country"), max_length=60, blank=True, default="")
    province = models.CharField(_("province / state"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    annual_revenue = AmountField(_("annual revenue"), null=True, blank=True)
    currency = CurrencyField()
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Classification fields a user set by hand; classification rules leave them alone.
    classification_manual = models.JSONField(
        _("set by hand"), default=list, blank=True, editable=False
    )
    classification_manual.audit = False  # the values it guards show their own changes
    # Kept in step with the points ledger by guanxi.customers.points, never edited directly.
    points_balance = models.IntegerField(_("points balance"), default=0, editable=False)
    points_lifetime = models.IntegerField(_("lifetime points"), default=0, editable=False)
    membership_level = models.ForeignKey(
        "customers.MembershipLevel",
        verbose_name=_("membership level"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="accounts",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["name"], name="account_name_idx"),
            models.Index(fields=["owner", "-updated_at"], name="account_owner_idx"),
            models.Index(fields=["account_type", "name"], name="account_type_idx"),
            # Scoped lists filter by owner and type together; counting them needs both.
            models.Index(fields=["owner", "account_type"], name="account_owner_type_idx"),
            models.Index(fields=["grade"], name="account_grade_idx"),
            models.Index(fields=["industry"], name="account_industry_idx"),
            models.Index(fields=["source"], name="account_source_idx"),
            models.Index(fields=["city"], name="account_city_idx"),
            models.Index(fields=["province"], name="account_province_idx"),
            models.Index(fields=["phone_e164"], name="account_phone_idx"),
            models.Index(fields=["email"], name="account_email_idx"),
            models.Index(fields=["-updated_at"], name="account_updated_idx"),
            models.Index(fields=["annual_revenue"], name="account_revenue_idx"),
            models.Index(fields=["relationship"], name="account_relationship_idx"),
            models.Index(fields=["loyalty"], name="account_loyalty_idx"),
            models.Index(fields=["value_class"], name="account_value_class_idx"),
            models.Index(fields=["lifecycle_stage"], name="account_lifecycle_idx"),
            models.Index(fields=["points_balance"], name="account_points_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A derived lookup column, kept in step with the number as entered.
        self.phone_e164 = normalize_phone(self.phone)
        if not self._state.adding and kwargs.get("update_fields") is None:
            # The ledger keeps the points columns under a row lock; a form or bulk edit
            # holding an older copy of the row must not write them back.
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in LEDGER_FIELDS
                and field.attname not in deferred
            ]
        super().save(*args, **kwargs)


class Contact(OwnedModel):
    """Hold a person at an account, with their role and how to reach them."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    mobile_e164 = models.CharField(max_length=20, blank=True, editable=False)
    phone = models.CharField(_("office phone"), max_length=40, blank=True)
    phone_e164 = models.CharField(max_length=20, blank=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    preferences = models.TextField(_("preferences"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["name"], name="contact_name_idx"),
            models.Index(fields=["account", "name"], name="contact_account_idx"),
            models.Index(fields=["owner", "-updated_at"], name="contact_owner_idx"),
            models.Index(fields=["mobile_e164"], name="contact_mobile_idx"),
            models.Index(fields=["phone_e164"], name="contact_phone_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
            models.Index(fields=["role"], name="contact_role_idx"),
            models.Index(fields=["-updated_at"], name="contact_updated_idx"),
            models.Index(fields=["birthday"], name="contact_birthday_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.mobile_e164 = normalize_phone(self.mobile)
        self.phone_e164 = normalize_phone(self.phone)
        super().save(*args, **kwargs)


# The loyalty programme's models live in their own module; Django finds them through here.
from guanxi.customers.loyalty_models import (  # noqa: E402, F401
    ClassificationRule,
    EarningRule,
    MembershipLevel,
    PointsEntry,
)
