"""URLs of the sales screens (inside the web namespace)."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("guanxi.sales.forecast_urls")),
]
