"""URLs of the sales screens (inside the web namespace)."""

from django.urls import include, path

from guanxi.sales import opportunity_urls, pipeline_urls
from guanxi.sales.lead_urls import urlpatterns as lead_urlpatterns

urlpatterns: list = [
    *opportunity_urls.urlpatterns,
    *pipeline_urls.urlpatterns,
    path("", include("guanxi.sales.competitor_urls")),
    path("", include("guanxi.sales.forecast_urls")),
    *lead_urlpatterns,
]
