"""URLs of the message screens: compose, log, bulk sends, templates (web namespace)."""

from django.urls import path

from guanxi.activities import bulk_messages, message_views, template_views

urlpatterns = [
    path("messages/", message_views.message_list, name="message_list"),
    path("messages/<int:pk>/", message_views.message_detail, name="message_detail"),
    path("messages/<int:pk>/resend/", message_views.message_resend, name="message_resend"),
    path(
        "messages/attachments/<int:pk>/",
        message_views.message_attachment,
        name="message_attachment",
    ),
    path(
        "messages/compose/<str:channel>/<str:entity_name>/<int:pk>/",
        message_views.compose,
        name="message_compose",
    ),
    path(
        "messages/compose/<str:channel>/<str:entity_name>/<int:pk>/template/",
        message_views.compose_template,
        name="message_compose_template",
    ),
    path("activities/<int:pk>/invite/", message_views.meeting_invite, name="activity_invite"),
    path("messages/batches/", bulk_messages.batch_list, name="message_batch_list"),
    path("messages/batches/<int:pk>/", bulk_messages.batch_detail, name="message_batch"),
    path("messages/batches/<int:pk>/retry/", bulk_messages.batch_retry, name="message_batch_retry"),
    path("settings/templates/", template_views.template_list, name="message_template_list"),
    path("settings/templates/new/", template_views.template_edit, name="message_template_create"),
    path(
        "settings/templates/<int:pk>/", template_views.template_edit, name="message_template_edit"
    ),
    path(
        "settings/templates/<int:pk>/delete/",
        template_views.template_delete,
        name="message_template_delete",
    ),
]
