"""Template filters of the funnel and forecast screens."""

from django import template

from guanxi.core.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """Show an amount with its currency symbol; nothing for None."""
    return format_money(amount, currency) if amount is not None else ""


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def split_words(text: str) -> list[str]:
    return text.split()


@register.filter
def attribute(value, name: str):
    return getattr(value, name, None)


@register.filter
def latest_override(row, figure: str):
    return row.latest(figure)
