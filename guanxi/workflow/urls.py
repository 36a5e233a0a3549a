"""URLs of the workflow screens (inside the web namespace)."""

urlpatterns: list = []
