"""URLs of the sales screens (inside the web namespace)."""

from guanxi.sales.lead_urls import urlpatterns as lead_urlpatterns

urlpatterns: list = [*lead_urlpatterns]
