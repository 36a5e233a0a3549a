"""URLs of the sales screens (inside the web namespace)."""

urlpatterns: list = []
