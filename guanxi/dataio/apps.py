from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataioConfig(AppConfig):
    name = "guanxi.dataio"
    label = "dataio"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        from guanxi.dataio import (  # noqa: F401  job handlers and event subscriptions
            subscribers,
            tasks,
        )
