"""Opportunities (商机): possible sales moving through a pipeline's stages."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import OwnedModel
from guanxi.core.money import AmountField, CurrencyField
from guanxi.customers.choices import ContactRole, Source
from guanxi.sales.choices import CloseReason, ForecastCategory


class Opportunity(OwnedModel):
    """Hold a possible sale: customer, amount, stage, expected close and how it ended."""

    number = models.CharField(_("opportunity number"), max_length=30, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    pipeline = models.ForeignKey(
        "sales.Pipeline",
        verbose_name=_("pipeline"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    stage = models.ForeignKey(
        "sales.Stage",
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    amount = AmountField(_("amount"), default=Decimal("0"))
    currency = CurrencyField()
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=20,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=30, choices=Source.choices, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("from lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="opportunities",
    )
    partner = models.ForeignKey(
        "customers.Account",
        verbose_name=_("sales partner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partner_opportunities",
        help_text=_("The reseller or agent who registered or brings this deal."),
    )
    stage_entered_at = models.DateTimeField(
        _("in stage since"), default=timezone.now, editable=False
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # Position of the furthest non-lost stage the deal ever entered: the funnel counts a deal
    # in every stage up to it without reading the stage history (funnel_queries.py).
    furthest_position = models.PositiveSmallIntegerField(
        _("furthest stage reached"), default=0, editable=False
    )
    close_reason = models.CharField(
        _("won/lost reason"), max_length=20, choices=CloseReason.choices, blank=True
    )
    close_note = models.CharField(_("won/lost details"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-id"]
        indexes = [
            # The kanban board: a pipeline's deals by stage, biggest first.
            models.Index(fields=["pipeline", "stage", "-amount"], name="opp_board_idx"),
            models.Index(fields=["owner", "stage", "-amount"], name="opp_owner_stage_idx"),
            # The board of a team or a scope: totals and the cards' ranking read from the
            # index alone.
            models.Index(
                fields=["owner", "pipeline", "stage", "amount", "probability", "id"],
                name="opp_board_totals_idx",
            ),
            models.Index(fields=["stage", "stage_entered_at"], name="opp_stage_age_idx"),
            models.Index(fields=["account", "-updated_at"], name="opp_account_idx"),
            models.Index(fields=["expected_close"], name="opp_close_idx"),
            models.Index(fields=["closed_at"], name="opp_closed_idx"),
            models.Index(fields=["owner", "expected_close"], name="opp_owner_close_idx"),
            models.Index(fields=["partner"], name="opp_partner_idx"),
            models.Index(fields=["source"], name="opp_source_idx"),
            models.Index(fields=["-updated_at"], name="opp_updated_idx"),
            models.Index(fields=["name"], name="opp_name_idx"),
            models.Index(fields=["amount"], name="opp_amount_idx"),
            models.Index(fields=["probability"], name="opp_probability_idx"),
            models.Index(fields=["forecast_category"], name="opp_forecast_idx"),
            models.Index(fields=["close_reason"], name="opp_close_reason_idx"),
            # The funnel of a period: every column it reads, so the table is not visited.
            models.Index(
                fields=[
                    "pipeline",
                    "created_at",
                    "stage",
                    "currency",
                    "amount",
                    "furthest_position",
                ],
                name="opp_funnel_created_idx",
            ),
            # The funnel of a team, a department or a rep's scope (deals of some owners).
            models.Index(
                fields=[
                    "owner",
                    "pipeline",
                    "created_at",
                    "stage",
                    "currency",
                    "amount",
                    "furthest_position",
                ],
                name="opp_funnel_owner_idx",
            ),
            models.Index(
                fields=[
                    "pipeline",
                    "expected_close",
                    "stage",
                    "currency",
                    "amount",
                    "furthest_position",
                ],
                name="opp_funnel_close_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount or Decimal("0")) * self.probability / 100


class OpportunityContact(models.Model):
    """Link a contact to a deal with their role in the buying decision."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="contact_roles",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="opportunity_roles",
    )
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("opportunity contact")
        verbose_name_plural = _("opportunity contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "contact"], name="opportunity_contact_unique"
            )
        ]

    def __str__(self) -> str:
        return str(self.contact)


class OpportunityLine(models.Model):
    """Hold one product line of a deal: what, how many, at what price and discount."""

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product_name = models.CharField(_("product"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, default=1)
    unit_price = AmountField(_("unit price"), default=Decimal("0"))
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["opportunity", "position", "id"]

    def __str__(self) -> str:
        return self.product_name

    @property
    def total(self) -> Decimal:
        gross = (self.quantity or 0) * (self.unit_price or 0)
        return (gross * (100 - (self.discount_percent or 0)) / 100).quantize(Decimal("0.01"))


class OpportunityCompetitor(models.Model):
    """Hold a rival on a deal with their price, strengths and weaknesses."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="competitors",
    )
    competitor = models.ForeignKey(
        "customers.Account",
        verbose_name=_("competitor"),
        on_delete=models.PROTECT,
        related_name="competing_on",
    )
    price = AmountField(_("their price"), null=True, blank=True)
    strengths = models.CharField(_("strengths"), max_length=300, blank=True)
    weaknesses = models.CharField(_("weaknesses"), max_length=300, blank=True)
    is_winner = models.BooleanField(_("won the deal"), default=False)

    class Meta:
        verbose_name = _("competitor on the deal")
        verbose_name_plural = _("competitors on the deal")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "competitor"], name="opportunity_competitor_unique"
            )
        ]
        indexes = [models.Index(fields=["competitor"], name="opp_competitor_idx")]

    def __str__(self) -> str:
        return str(self.competitor)


class StageChange(models.Model):
    """Record a deal's move between stages and how long it spent in the one it left."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
    )
    from_stage = models.ForeignKey(
        "sales.Stage",
        verbose_name=_("from stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        "sales.Stage", verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    seconds_in_previous = models.PositiveBigIntegerField(_("time in previous stage (s)"), default=0)
    amount = AmountField(_("amount"), default=Decimal("0"))

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["opportunity", "changed_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "changed_at"], name="stagechange_opp_idx"),
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_to_idx"),
            models.Index(fields=["from_stage", "changed_at"], name="stagechange_from_idx"),
            # The funnel's days in stage: the moves of the period's deals, read from the index.
            models.Index(
                fields=["opportunity", "from_stage", "seconds_in_previous"],
                name="stagechange_time_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"
