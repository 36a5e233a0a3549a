"""Money: Decimal amounts with an ISO 4217 currency, never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥", "GBP": "£"}
CURRENCY_DECIMALS = {"JPY": 0}


def default_currency() -> str:
    return settings.GUANXI_DEFAULT_CURRENCY


@dataclass(frozen=True)
class Money:
    """Hold an amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", Decimal(str(self.amount)))

    def rounded(self) -> Money:
        places = CURRENCY_DECIMALS.get(self.currency, 2)
        quantum = Decimal(1).scaleb(-places)
        return Money(self.amount.quantize(quantum, rounding=ROUND_HALF_UP), self.currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError("Cannot add amounts in different currencies.")
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def format_money(amount: Decimal | None, currency: str) -> str:
    """Return an amount with its currency symbol, grouped and localised."""
    if amount is None:
        return ""
    places = CURRENCY_DECIMALS.get(currency, 2)
    text = number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{CURRENCY_SYMBOLS.get(currency, currency + ' ')}{text}"


class AmountField(models.DecimalField):
    """Store a money amount: 18 digits, 2 decimal places."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class CurrencyField(models.CharField):
    """Store an ISO 4217 currency code."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("default", default_currency)
        kwargs.setdefault("verbose_name", _("currency"))
        kwargs.setdefault(
            "choices",
            [
                ("CNY", _("CNY – Chinese yuan")),
                ("USD", _("USD – US dollar")),
                ("EUR", _("EUR – Euro")),
                ("HKD", _("HKD – Hong Kong dollar")),
                ("JPY", _("JPY – Japanese yen")),
                ("GBP", _("GBP – Pound sterling")),
            ],
        )
        super().__init__(*args, **kwargs)
