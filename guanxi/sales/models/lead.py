"""Leads (线索): unqualified interest, not yet a customer or a deal."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import OwnedModel
from guanxi.core.phones import normalize_phone
from guanxi.customers.choices import Industry, Source
from guanxi.sales.choices import LeadStatus, UnqualifiedReason


class Lead(OwnedModel):
    """Hold a person or company that showed interest, until qualified and converted."""

    number = models.CharField(_("lead number"), max_length=30, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    mobile_e164 = models.CharField(max_length=20, blank=True, editable=False)
    phone = models.CharField(_("office phone"), max_length=40, blank=True)
    phone_e164 = models.CharField(max_length=20, blank=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=60, blank=True)
    website = models.URLField(_("website"), blank=True)
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    source = models.CharField(_("source"), max_length=30, choices=Source.choices, blank=True)
    source_detail = models.CharField(_("source details"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    unqualified_reason = models.CharField(
        _("reason unqualified"), max_length=20, choices=UnqualifiedReason.choices, blank=True
    )
    score = models.IntegerField(_("score"), default=0, editable=False)
    product_interest = models.CharField(_("product interest"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=60, blank=True)
    province = models.CharField(_("province / state"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    territory = models.ForeignKey(
        "core.Territory",
        verbose_name=_("territory"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    partner = models.ForeignKey(
        "customers.Account",
        verbose_name=_("sales partner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_leads",
        help_text=_("The reseller or agent who registered this lead."),
    )
    description = models.TextField(_("description"), blank=True)
    # When the submitter agreed to be contacted (web-to-lead), and the text they agreed to.
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_text = models.CharField(_("consent text"), max_length=300, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True, editable=False)
    last_contacted_at = models.DateTimeField(
        _("last contacted"), null=True, blank=True, editable=False
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)
    converted_account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("converted to customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="converted_leads",
    )
    converted_contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("converted to contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="converted_leads",
    )
    converted_opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("converted to opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="converted_leads",
    )

    # The rule that gave the lead its owner (its reassignment hours apply), and the web
    # form it came through.
    assignment_rule = models.ForeignKey(
        "sales.LeadAssignmentRule",
        verbose_name=_("assignment rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    web_form = models.ForeignKey(
        "sales.LeadWebForm",
        verbose_name=_("web form"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="leads",
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"], name="lead_owner_idx"),
            models.Index(fields=["status", "-created_at"], name="lead_status_idx"),
            models.Index(fields=["source"], name="lead_source_idx"),
            models.Index(fields=["-score"], name="lead_score_idx"),
            models.Index(fields=["mobile_e164"], name="lead_mobile_idx"),
            models.Index(fields=["phone_e164"], name="lead_phone_idx"),
            models.Index(fields=["email"], name="lead_email_idx"),
            models.Index(fields=["company"], name="lead_company_idx"),
            models.Index(fields=["territory"], name="lead_territory_idx"),
            models.Index(fields=["partner"], name="lead_partner_idx"),
            models.Index(fields=["-updated_at"], name="lead_updated_idx"),
            models.Index(fields=["name"], name="lead_name_idx"),
            models.Index(fields=["province"], name="lead_province_idx"),
            models.Index(fields=["city"], name="lead_city_idx"),
            models.Index(fields=["industry"], name="lead_industry_idx"),
            models.Index(fields=["unqualified_reason"], name="lead_unqualified_idx"),
            models.Index(fields=["last_contacted_at"], name="lead_contacted_idx"),
            # Reassignment of leads nobody contacted: open ones by when they were assigned.
            models.Index(
                fields=["assigned_at"],
                condition=models.Q(status="new", last_contacted_at__isnull=True),
                name="lead_uncontacted_idx",
            ),
        ]

    def __str__(self) -> str:
        # The name alone, as lists, exports and the shared entity contract show it; the
        # company has its own column and is the search subtitle.
        return self.name

    def save(self, *args, **kwargs):
        self.mobile_e164 = normalize_phone(self.mobile)
        self.phone_e164 = normalize_phone(self.phone)
        super().save(*args, **kwargs)
