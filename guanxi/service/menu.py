"""The care screens in the sidebar and the care plans in the settings."""

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry
from guanxi.core.permissions import can

registry.register_link(
    "menu",
    registry.Link(
        "web:care_calendar",
        _("Customer care"),
        icon="heart-handshake",
        order=32,
        visible=lambda user: can(user, "activity", "view"),
    ),
)
registry.register_link(
    "settings",
    registry.Link("web:care_plan_list", _("Care plans"), group="customers", section="care_plans"),
)
