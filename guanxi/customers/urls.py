"""URLs of the screens special to accounts and contacts."""

from django.urls import path

from guanxi.customers import views

urlpatterns = [
    path(
        "contacts/<int:pk>/accounts/link/",
        views.contact_account_link,
        name="contact_account_link",
    ),
    path(
        "contacts/<int:pk>/accounts/<int:account_id>/unlink/",
        views.contact_account_unlink,
        name="contact_account_unlink",
    ),
]
