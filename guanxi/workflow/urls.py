"""URLs of the workflow screens (inside the web namespace)."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("guanxi.workflow.calendar_urls")),
]
