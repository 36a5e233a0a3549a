"""URLs of the sales screens (inside the web namespace)."""

from guanxi.sales import opportunity_urls, pipeline_urls

urlpatterns: list = [*opportunity_urls.urlpatterns, *pipeline_urls.urlpatterns]
