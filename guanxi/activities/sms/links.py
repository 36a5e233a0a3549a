"""Put the SMS settings screen in the settings menu of administrators."""

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry

registry.register_link(
    "settings",
    registry.Link(
        "web:sms_settings",
        _("SMS"),
        group="activities",
        section="sms",
        visible=lambda user: user.is_superuser or user.is_staff,
    ),
)
