"""URLs of the lead screens (inside the web namespace) and the public web-to-lead form."""

from django.urls import path

from guanxi.sales import lead_public, lead_settings_views, lead_views

urlpatterns = [
    path("leads/pool/", lead_views.lead_pool, name="lead_pool"),
    path("leads/bulk/convert/", lead_views.leads_bulk_convert, name="lead_bulk_convert"),
    path("leads/<int:pk>/status/<str:status>/", lead_views.lead_status, name="lead_status"),
    path("leads/<int:pk>/claim/", lead_views.lead_claim, name="lead_claim"),
    path("leads/<int:pk>/release/", lead_views.lead_release, name="lead_release"),
    path("leads/<int:pk>/assign/", lead_views.lead_assign, name="lead_assign"),
    path("leads/<int:pk>/convert/", lead_views.lead_convert, name="lead_convert"),
    path(
        "mailboxes/unmatched/<int:pk>/lead/",
        lead_views.lead_from_unmatched,
        name="lead_from_unmatched",
    ),
    path("forms/leads/<str:key>/", lead_public.web_form_page, name="lead_web_form_public"),
    path(
        "forms/leads/<str:key>/embed.js",
        lead_public.web_form_script,
        name="lead_web_form_script",
    ),
    path("settings/leads/rules/", lead_settings_views.rules_list, name="lead_rules"),
    path("settings/leads/scoring/", lead_settings_views.scoring_list, name="lead_scoring"),
    path("settings/leads/web-forms/", lead_settings_views.web_forms_list, name="lead_web_forms"),
    path("settings/leads/pool/", lead_settings_views.pool_edit, name="lead_pool_settings"),
    path(
        "settings/leads/<str:kind>/new/",
        lead_settings_views.settings_edit,
        name="lead_settings_create",
    ),
    path(
        "settings/leads/<str:kind>/<int:pk>/",
        lead_settings_views.settings_edit,
        name="lead_settings_edit",
    ),
    path(
        "settings/leads/<str:kind>/<int:pk>/delete/",
        lead_settings_views.settings_delete,
        name="lead_settings_delete",
    ),
]
