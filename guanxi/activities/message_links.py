"""Where the message screens appear: the sidebar and the settings menu."""

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry


def _is_admin(user) -> bool:
    return bool(user.is_superuser or user.is_staff)


registry.register_link(
    "menu", registry.Link("web:message_list", _("Messages"), icon="mail", order=7)
)
registry.register_link(
    "settings",
    registry.Link(
        "web:message_template_list",
        _("Message templates"),
        group="activities",
        section="templates",
        visible=_is_admin,
    ),
)
