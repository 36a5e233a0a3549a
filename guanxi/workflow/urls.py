"""URLs of the workflow screens (inside the web namespace)."""

from guanxi.workflow import approval_urls

urlpatterns: list = [
    *approval_urls.urlpatterns,
]
