from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "guanxi.workflow"
    label = "workflow"
    verbose_name = _("Workflow")

    def ready(self):
        from guanxi.workflow import (
            action_registrations,  # noqa: F401  (registrations)
            actions,  # noqa: F401  (registrations)
            approval_wiring,
            calendar_menu,  # noqa: F401  (registrations)
        )

        approval_wiring.ready()
