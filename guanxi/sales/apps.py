from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "guanxi.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from guanxi.sales import (  # noqa: F401  (registrations, sidebar entries, subscriptions)
            calllist_entities,
            calllist_views,
            competitor_entities,
            forecast_links,
            funnel_reached,
            lead_entities,
            lead_subscribers,
            lead_tasks,
            opportunity_entities,
        )
