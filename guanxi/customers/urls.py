"""URLs of the screens special to accounts and contacts (inside the web namespace)."""

from django.urls import path

from guanxi.customers import pool_settings, views

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
    path("pool/", views.pool_page, name="pool"),
    path("pool/claim/", views.pool_claim, name="pool_claim"),
    path("accounts/<int:pk>/claim/", views.account_claim, name="account_claim"),
    path("accounts/<int:pk>/release/", views.account_release, name="account_release"),
    path(
        "accounts/<int:pk>/assign/",
        views.account_owner_change,
        {"kind": "assign"},
        name="account_assign",
    ),
    path(
        "accounts/<int:pk>/transfer/",
        views.account_owner_change,
        {"kind": "transfer"},
        name="account_transfer",
    ),
    path(
        "accounts/bulk/transfer/",
        views.accounts_bulk_owner,
        {"kind": "transfer"},
        name="account_bulk_transfer",
    ),
    path(
        "accounts/bulk/release/",
        views.accounts_bulk_owner,
        {"kind": "release"},
        name="account_bulk_release",
    ),
    path("settings/pools/", pool_settings.pool_settings_list, name="pool_settings"),
    path("settings/pools/new/", pool_settings.pool_settings_edit, name="pool_settings_create"),
    path("settings/pools/run/", pool_settings.pool_rules_run, name="pool_rules_run"),
    path("settings/pools/<int:pk>/", pool_settings.pool_settings_edit, name="pool_settings_edit"),
    path(
        "settings/pools/<int:pk>/delete/",
        pool_settings.pool_settings_delete,
        name="pool_settings_delete",
    ),
]
