"""Template filters of the sales screens."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration_text(seconds) -> str:
    """Return a number of seconds as days and hours, or hours and minutes."""
    seconds = int(seconds or 0)
    days, rest = divmod(seconds, 86400)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": rest // 3600}
    return _("%(hours)s h %(minutes)s min") % {"hours": rest // 3600, "minutes": rest % 3600 // 60}


@register.simple_tag
def close_reasons():
    """Return the won/lost reasons as (value, label) pairs."""
    from guanxi.sales.choices import CloseReason

    return CloseReason.choices
