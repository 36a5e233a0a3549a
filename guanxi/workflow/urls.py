"""URLs of the workflow screens (inside the web namespace)."""

from guanxi.workflow import automation_urls

urlpatterns: list = []
urlpatterns += automation_urls.urlpatterns
