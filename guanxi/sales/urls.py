"""URLs of the sales screens (inside the web namespace)."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("guanxi.sales.competitor_urls")),
]
