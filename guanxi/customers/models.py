"""Accounts (客户) and contacts (联系人)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BaseModel, OwnedModel
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
    LifecycleStage,
    Loyalty,
    OwnershipEnd,
    OwnershipStart,
    Relationship,
    Source,
    ValueClass,
)

# Columns only the points ledger writes (guanxi.customers.points).
LEDGER_FIELDS = frozenset({"points_balance", "points_lifetime", "membership_level"})


class Pool(BaseModel):
    """Hold a public pool (公海) of customers nobody owns, and its return rule.

    Users whose roles are given access (within the pool's departments, if it names any)
    see the pool's customers and may claim them. An
    owned customer keeps its pool: the return rule sends it back there after too many days
    without a follow-up or without a deal. Customers of no pool follow the default pool.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    roles = models.ManyToManyField(
        "core.Role",
        verbose_name=_("roles with access"),
        related_name="pools",
        blank=True,
        help_text=_("Users with one of these roles see this pool and may claim from it."),
    )
    departments = models.ManyToManyField(
        "core.Department",
        verbose_name=_("departments"),
        related_name="pools",
        blank=True,
        help_text=_(
            "If set, only users of these departments (or departments below them) see the "
            "pool, e.g. one pool per sales region. Empty: every department."
        ),
    )
    days_without_follow_up = models.PositiveIntegerField(
        _("return after days without follow-up"),
        null=True,
        blank=True,
        help_text=_("Empty: never return for lack of follow-up."),
    )
    days_without_deal = models.PositiveIntegerField(
        _("return after days without a deal"),
        null=True,
        blank=True,
        help_text=_("Empty: never return for lack of an open deal."),
    )
    warning_days = models.PositiveIntegerField(
        _("warn the owner days before"),
        default=3,
        help_text=_("The owner is notified this many days before a customer returns."),
    )
    # Conditions in the language of automation rules (guanxi.workflow.conditions) that a
    # customer must meet for the return rule to apply to it; empty: every customer.
    conditions = models.JSONField(
        _("return only customers that meet"),
        default=dict,
        blank=True,
        help_text=_(
            "E.g. customer grade is Ordinary. Empty: the return rule applies to every customer."
        ),
    )
    is_default = models.BooleanField(
        _("default pool"),
        default=False,
        help_text=_("Customers that belong to no pool are returned here."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("public pool")
        verbose_name_plural = _("public pools")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_pool"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_rule(self) -> bool:
        return bool(self.days_without_follow_up or self.days_without_deal)

    @property
    def has_conditions(self) -> bool:
        return bool((self.conditions or {}).get("rules"))


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
    pool = models.ForeignKey(
        Pool,
        verbose_name=_("public pool"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        editable=False,
    )
    pooled_at = models.DateTimeField(_("in the pool since"), null=True, editable=False)
    owned_at = models.DateTimeField(_("owned since"), null=True, editable=False)
    last_followed_up_at = models.DateTimeField(_("last follow-up"), null=True, editable=False)
    pool_warned_at = models.DateTimeField(null=True, editable=False)
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
            # The pool page and pool visibility: unowned customers of a pool, newest first.
            models.Index(
                fields=["pool", "-pooled_at"],
                condition=Q(owner__isnull=True),
                name="account_in_pool_idx",
            ),
            # The nightly return rule: owned customers of a pool by how long they are owned.
            models.Index(
                fields=["pool", "owned_at"],
                condition=Q(owner__isnull=False),
                name="account_pool_rule_idx",
            ),
            models.Index(fields=["relationship"], name="account_relationship_idx"),
            models.Index(fields=["loyalty"], name="account_loyalty_idx"),
            models.Index(fields=["value_class"], name="account_value_class_idx"),
            models.Index(fields=["lifecycle_stage"], name="account_lifecycle_idx"),
            models.Index(fields=["points_balance"], name="account_points_idx"),
            models.Index(fields=["last_followed_up_at"], name="account_followed_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_pool(self) -> bool:
        """Tell whether the customer sits unowned in its public pool."""
        return self.pool_id is not None and self.owner_id is None

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
            models.Index(fields=["title"], name="contact_title_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.mobile_e164 = normalize_phone(self.mobile)
        self.phone_e164 = normalize_phone(self.phone)
        super().save(*args, **kwargs)


class OwnershipPeriod(models.Model):
    """Record who owned a customer from when to when, and how the period began and ended."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="ownership_periods",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    start = models.CharField(_("how it started"), max_length=20, choices=OwnershipStart.choices)
    end = models.CharField(
        _("how it ended"), max_length=20, choices=OwnershipEnd.choices, blank=True
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    pool = models.ForeignKey(
        Pool,
        verbose_name=_("public pool"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ownership period")
        verbose_name_plural = _("ownership periods")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-started_at"], name="ownership_account_idx"),
            models.Index(fields=["owner", "-started_at"], name="ownership_owner_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(ended_at__isnull=True), name="one_open_ownership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} · {self.owner_id}"


# Bookkeeping columns the services keep; their changes are not worth a history line.
for field_name in ("pooled_at", "owned_at", "last_followed_up_at", "pool_warned_at"):
    Account._meta.get_field(field_name).audit = False


class AccountContact(BaseModel):
    """Link a contact to a further account, with the role they play there.

    A contact's main account is `Contact.account`; a consultant, a group buyer or a
    board member who also matters at other accounts gets one link per further account.
    """

    account = models.ForeignKey(
        Account,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contact_links",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="account_links",
    )
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("further customer of a contact")
        verbose_name_plural = _("further customers of contacts")
        ordering = ["account__name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "contact"], name="account_contact_unique"),
        ]
        indexes = [
            models.Index(fields=["contact", "account"], name="account_contact_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact} @ {self.account}"


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


# The loyalty programme's models live in their own module; Django finds them through here.
from guanxi.customers.loyalty_models import (  # noqa: E402, F401
    ClassificationRule,
    EarningRule,
    MembershipLevel,
    PointsEntry,
)
