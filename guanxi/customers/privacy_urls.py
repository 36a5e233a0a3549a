"""URLs of the privacy screens of customers and contacts (consent, personal data, erasure)."""

from django.urls import path

from guanxi.customers import privacy_views as views

app_name = "customers"

urlpatterns = [
    path("contacts/<int:pk>/consent/", views.consent_add, name="contact_consent"),
    path("contacts/<int:pk>/personal-data/", views.personal_data, name="contact_personal_data"),
    path("contacts/<int:pk>/erase/", views.erase, name="contact_erase"),
    path("accounts/<int:pk>/consent/", views.account_consent_add, name="account_consent"),
    path("accounts/<int:pk>/erase/", views.account_erase, name="account_erase"),
    path(
        "accounts/<int:pk>/personal-data/",
        views.account_personal_data,
        name="account_personal_data",
    ),
]
