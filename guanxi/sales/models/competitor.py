"""Competing products (竞争产品) of competitor accounts, for win/loss work (SAL-5)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BaseModel
from guanxi.core.money import AmountField, CurrencyField


class CompetitorProduct(BaseModel):
    """Hold one product a competitor sells against us, and how to answer it."""

    competitor = models.ForeignKey(
        "customers.Account",
        verbose_name=_("competitor"),
        on_delete=models.CASCADE,
        related_name="competitor_products",
    )
    name = models.CharField(_("name"), max_length=200)
    price_min = AmountField(_("price from"), null=True, blank=True)
    price_max = AmountField(_("price up to"), null=True, blank=True)
    currency = CurrencyField()
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    counter_arguments = models.TextField(_("our counter-arguments"), blank=True)

    class Meta:
        verbose_name = _("competing product")
        verbose_name_plural = _("competing products")
        ordering = ["competitor", "name", "id"]
        indexes = [models.Index(fields=["competitor", "name"], name="competitor_product_idx")]

    def __str__(self) -> str:
        return self.name
