"""URLs of the workflow screens (inside the web namespace)."""

from django.urls import include, path

from guanxi.workflow import approval_urls, automation_urls

urlpatterns: list = [
    path("", include("guanxi.workflow.calendar_urls")),
    *approval_urls.urlpatterns,
    *automation_urls.urlpatterns,
]
