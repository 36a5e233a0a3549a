from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "guanxi.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self):
        from guanxi.service import menu, subscribers, triggers  # noqa: F401  (registrations)
