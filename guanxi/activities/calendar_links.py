"""Put the calendar in the sidebar for users who may see activities."""

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry
from guanxi.core.permissions import can

registry.register_link(
    "menu",
    registry.Link(
        "web:calendar",
        _("Calendar"),
        icon="calendar-month",
        order=6,
        visible=lambda user: can(user, "activity", "view"),
    ),
)
