"""Put the unmatched emails in the sidebar and the mailboxes in the settings menu."""

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry
from guanxi.core.permissions import can

registry.register_link(
    "menu",
    registry.Link(
        "web:unmatched_list",
        _("Unmatched emails"),
        icon="mail-question",
        order=7,
        visible=lambda user: can(user, "activity", "view"),
    ),
)
registry.register_link(
    "settings",
    registry.Link(
        "web:mailbox_list",
        _("Mailboxes"),
        icon="mailbox",
        order=50,
        visible=lambda user: user.is_superuser or user.is_staff,
        group="activities",
        section="mailboxes",
    ),
)
