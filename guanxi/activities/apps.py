from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "guanxi.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from guanxi.activities import (  # noqa: F401  (registrations and subscriptions)
            bulk,
            bulk_messages,
            calendar_links,
            email_sender,
            entities,
            links,
            mailbox_links,
            message_links,
        )
        from guanxi.activities.sms import links as sms_links  # noqa: F401
        from guanxi.activities.sms import sender  # noqa: F401  (registers the SMS channel)
