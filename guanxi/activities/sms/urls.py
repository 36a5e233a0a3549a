"""Webhook URLs the SMS provider pushes to (no login: the token in the path is the key)."""

from django.urls import path

from guanxi.activities.sms import webhooks

app_name = "sms"

urlpatterns = [
    path("<str:provider>/<str:token>/report", webhooks.report, name="report"),
    path("<str:provider>/<str:token>/inbound", webhooks.inbound, name="inbound"),
]
