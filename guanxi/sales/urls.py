"""URLs of the sales screens (inside the web namespace)."""

from django.urls import include, path

from guanxi.sales.lead_urls import urlpatterns as lead_urlpatterns

urlpatterns: list = [
    path("", include("guanxi.sales.competitor_urls")),
    path("", include("guanxi.sales.forecast_urls")),
    *lead_urlpatterns,
]
