"""Root URLs: the web interface, the REST API, login and health."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from guanxi.api.router import api
from guanxi.web.views.auth import LoginView, health

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", health, name="health"),
    path("api/v1/", api.urls),
    path("imports/", include("guanxi.dataio.urls")),
    path("webhooks/sms/", include("guanxi.activities.sms.urls")),
    path("", include("guanxi.customers.privacy_urls")),
    path("", include("guanxi.web.urls")),
]
