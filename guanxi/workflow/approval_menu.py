"""Approval screens in the sidebar (with the pending count) and the settings."""

from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from guanxi.core import registry
from guanxi.workflow.approval_services import is_admin


class InboxLabel(str):
    """The sidebar label "My approvals" with a badge the page loads with htmx.

    A str (templates print strings through `conditional_escape`, which keeps `__html__`),
    translated when shown.
    """

    def __new__(cls):
        return super().__new__(cls, "My approvals")

    def __str__(self) -> str:
        return str(_("My approvals"))

    def __html__(self) -> str:
        return format_html(
            '{}<span hx-get="{}" hx-trigger="load" hx-swap="outerHTML"></span>',
            str(self),
            reverse_lazy("web:approval_inbox_count"),
        )


registry.register_link(
    "menu", registry.Link("web:approval_inbox", InboxLabel(), icon="checkup-list", order=40)
)
registry.register_link(
    "menu",
    registry.Link(
        "web:approval_monitor",
        _("Approval monitor"),
        icon="activity-heartbeat",
        order=41,
        visible=is_admin,
    ),
)
registry.register_link(
    "settings",
    registry.Link(
        "web:approval_process_list",
        _("Approval processes"),
        group="workflow",
        section="approval_processes",
    ),
)
