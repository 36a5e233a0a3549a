"""Accounts (客户) and contacts (联系人)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import OwnedModel
from guanxi.core.money import AmountField, CurrencyField
from guanxi.core.phones import normalize_phone
from guanxi.customers.choices import (
    AccountKind,
    AccountType,
    ConsentChannel,
    ConsentSource,
    ConsentStatus,
    ContactRole,
    Gender,
    Grade,
    Industry,
    Source,
)


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
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A derived lookup column, kept in step with the number as entered.
        self.phone_e164 = normalize_phone(self.phone)
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
    id_number = models.CharField(
        _("ID number"),
        max_length=40,
        blank=True,
        help_text=_("Resident ID card, passport or other identity document number."),
    )
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


class Consent(models.Model):
    """Record that a person agreed to, or opted out of, being reached on one channel.

    Rows are only ever added: the history shows who recorded what, when and from where.
    The newest row of a person and channel is the current status and carries `current`,
    so "everyone opted out of email" is one indexed lookup over millions of contacts.
    """

    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consents",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consents",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=ConsentChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=ConsentStatus.choices)
    source = models.CharField(
        _("source"), max_length=20, choices=ConsentSource.choices, default=ConsentSource.FORM
    )
    recorded_at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    current = models.BooleanField(_("current"), default=True, editable=False)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "channel", "-recorded_at"], name="consent_contact_idx"),
            models.Index(fields=["account", "channel", "-recorded_at"], name="consent_account_idx"),
            models.Index(
                fields=["channel", "status", "current", "contact"], name="consent_status_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False) | models.Q(account__isnull=False),
                name="consent_has_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_status_display()}"
