"""Automation rules and their runs in the settings."""

from django.utils.translation import gettext_lazy as _

from guanxi.core import registry

registry.register_link(
    "settings",
    registry.Link(
        "web:automation_rule_list", _("Automation rules"), group="workflow", section="automation"
    ),
)
registry.register_link(
    "settings",
    registry.Link(
        "web:automation_run_list", _("Automation runs"), group="workflow", section="automation_runs"
    ),
)
