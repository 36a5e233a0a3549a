from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "guanxi.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from guanxi.customers import (
            entities,  # noqa: F401  (registers accounts and contacts)
            subscribers,  # noqa: F401  (earning rules, re-classifying)
        )
