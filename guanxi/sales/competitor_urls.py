"""URLs of the competitor, partner and telesales screens (inside the web namespace)."""

from django.urls import path

from guanxi.sales import calllist_views, competitor_views, partner_views

urlpatterns = [
    path(
        "sales/competitors/analysis/",
        competitor_views.competitor_analysis,
        name="competitor_analysis",
    ),
    path(
        "sales/competitors/<int:pk>/products/new/",
        competitor_views.competitor_product_create,
        name="competitor_product_create",
    ),
    path(
        "sales/competitor-products/<int:pk>/edit/",
        competitor_views.competitor_product_edit,
        name="competitor_product_edit",
    ),
    path(
        "sales/competitor-products/<int:pk>/delete/",
        competitor_views.competitor_product_delete,
        name="competitor_product_delete",
    ),
    path("sales/partners/", partner_views.partner_performance, name="partner_performance"),
    path("call-lists/stats/", calllist_views.call_statistics, name="calllist_stats"),
    path("call-lists/<int:pk>/call/", calllist_views.call_screen, name="calllist_call"),
    path(
        "call-lists/<int:pk>/entries/<int:entry_id>/skip/",
        calllist_views.call_skip,
        name="calllist_skip",
    ),
    path(
        "call-lists/<int:pk>/entries/<int:entry_id>/dial/<str:field>/",
        calllist_views.call_dial,
        name="calllist_dial",
    ),
    path("settings/call-outcomes/", calllist_views.outcome_settings, name="calllist_outcomes"),
    path(
        "settings/call-outcomes/<int:pk>/",
        calllist_views.outcome_settings,
        name="calllist_outcome_edit",
    ),
]
