"""The business calendars in the settings menu."""

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry

registry.register_link(
    "settings",
    registry.Link(
        "web:business_calendar_list",
        _("Business calendars"),
        group="workflow",
        section="business_calendars",
    ),
)
