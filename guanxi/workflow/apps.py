from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "guanxi.workflow"
    label = "workflow"
    verbose_name = _("Workflow")

    def ready(self):
        # Registrations: actions, settings links, the event subscriber, Huey tasks.
        from guanxi.workflow import (  # noqa: F401
            action_registrations,
            actions,
            approval_wiring,
            automation_menu,
            automation_subscribers,
            automation_tasks,
            calendar_menu,
        )

        approval_wiring.ready()
