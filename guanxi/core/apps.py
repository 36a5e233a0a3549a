from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "guanxi.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self):
        from guanxi.core import checks, subscribers  # noqa: F401  (registers checks and handlers)
        from guanxi.core.dedupe import scan  # noqa: F401  (registers the finder's job)
