from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "guanxi.workflow"
    label = "workflow"
    verbose_name = _("Workflow")

    def ready(self):
        # Registrations: actions; automation settings links, event subscriber, Huey tasks.
        from guanxi.workflow import (  # noqa: F401
            actions,
            automation_menu,
            automation_subscribers,
            automation_tasks,
        )
