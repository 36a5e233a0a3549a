"""Sales targets (销售目标) and managers' forecast adjustments (销售预测调整)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BaseModel
from guanxi.core.money import AmountField, CurrencyField
from guanxi.sales.forecast_choices import ForecastFigure, PeriodType

# Exactly one subject: a person, a team or a department.
ONE_SUBJECT = (
    Q(user__isnull=False, team__isnull=True, department__isnull=True)
    | Q(user__isnull=True, team__isnull=False, department__isnull=True)
    | Q(user__isnull=True, team__isnull=True, department__isnull=False)
)


class Target(BaseModel):
    """Hold a sales target (quota) of a person, a team or a department for one period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sales_targets",
    )
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sales_targets",
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sales_targets",
    )
    period_type = models.CharField(_("period type"), max_length=10, choices=PeriodType.choices)
    period_start = models.DateField(_("period start"))
    amount = AmountField(_("target amount"), default=Decimal("0"))
    count = models.PositiveIntegerField(_("target number of deals won"), null=True, blank=True)
    currency = CurrencyField()

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["period_start", "id"]
        constraints = [
            models.CheckConstraint(condition=ONE_SUBJECT, name="target_one_subject"),
            models.UniqueConstraint(
                fields=["user", "period_type", "period_start"],
                condition=Q(user__isnull=False),
                name="target_user_period_unique",
            ),
            models.UniqueConstraint(
                fields=["team", "period_type", "period_start"],
                condition=Q(team__isnull=False),
                name="target_team_period_unique",
            ),
            models.UniqueConstraint(
                fields=["department", "period_type", "period_start"],
                condition=Q(department__isnull=False),
                name="target_department_period_unique",
            ),
        ]
        indexes = [models.Index(fields=["period_start", "period_type"], name="target_period_idx")]

    def __str__(self) -> str:
        return f"{self.subject} · {self.period_start:%Y-%m} · {self.amount}"

    @property
    def subject(self):
        return self.user or self.team or self.department


class ForecastOverride(models.Model):
    """Record a manager's adjustment of a forecast figure, with the old and new value."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="forecast_overrides",
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="forecast_overrides",
    )
    period_type = models.CharField(_("period type"), max_length=10, choices=PeriodType.choices)
    period_start = models.DateField(_("period start"))
    figure = models.CharField(
        _("figure"), max_length=20, choices=ForecastFigure.choices, default=ForecastFigure.COMMIT
    )
    currency = CurrencyField()
    old_amount = AmountField(_("computed amount"))
    new_amount = AmountField(_("adjusted amount"))
    comment = models.CharField(_("comment"), max_length=300)
    created_at = models.DateTimeField(_("adjusted at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("adjusted by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("forecast adjustment")
        verbose_name_plural = _("forecast adjustments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, department__isnull=True)
                | Q(user__isnull=True, department__isnull=False),
                name="forecastoverride_one_subject",
            )
        ]
        indexes = [
            models.Index(fields=["period_start", "period_type"], name="forecastoverride_period_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user or self.department} · {self.figure} · {self.new_amount}"
