"""URLs of the screens special to activities (inside the web namespace)."""

from django.urls import include, path

from guanxi.activities import views
from guanxi.activities.sms import views as sms_views

urlpatterns = [
    path("my-day/", views.my_day, name="my_day"),
    path(
        "activities/<int:pk>/status/<str:status>/",
        views.activity_status,
        name="activity_status",
    ),
    path("activities/<int:pk>/attach/", views.activity_attach, name="activity_attach"),
    path(
        "activities/attachments/<int:pk>/",
        views.activity_attachment,
        name="activity_attachment",
    ),
    path("settings/sms/", sms_views.sms_settings, name="sms_settings"),
    path("settings/sms/segments/", sms_views.sms_segments_count, name="sms_segments"),
    path("", include("guanxi.activities.calendar_urls")),
    path("", include("guanxi.activities.message_urls")),
    path("", include("guanxi.activities.mailbox_urls")),
]
