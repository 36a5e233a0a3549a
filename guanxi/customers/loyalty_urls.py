"""URLs of the loyalty screens, included in the web interface's namespace."""

from django.urls import path

from guanxi.customers import loyalty_views as views

urlpatterns = [
    path("accounts/<int:pk>/points/", views.account_points, name="account_points"),
    path("settings/membership-levels/", views.level_list, name="membership_level_list"),
    path("settings/membership-levels/new/", views.level_edit, name="membership_level_create"),
    path("settings/membership-levels/<int:pk>/", views.level_edit, name="membership_level_edit"),
    path(
        "settings/membership-levels/<int:pk>/delete/",
        views.level_delete,
        name="membership_level_delete",
    ),
    path("settings/earning-rules/", views.earning_rule_list, name="earning_rule_list"),
    path("settings/earning-rules/new/", views.earning_rule_edit, name="earning_rule_create"),
    path("settings/earning-rules/<int:pk>/", views.earning_rule_edit, name="earning_rule_edit"),
    path(
        "settings/earning-rules/<int:pk>/delete/",
        views.earning_rule_delete,
        name="earning_rule_delete",
    ),
    path(
        "settings/classification-rules/",
        views.classification_rule_list,
        name="classification_rule_list",
    ),
    path(
        "settings/classification-rules/new/",
        views.classification_rule_edit,
        name="classification_rule_create",
    ),
    path(
        "settings/classification-rules/<int:pk>/",
        views.classification_rule_edit,
        name="classification_rule_edit",
    ),
    path(
        "settings/classification-rules/<int:pk>/delete/",
        views.classification_rule_delete,
        name="classification_rule_delete",
    ),
    path(
        "settings/classification-rules/apply/",
        views.classification_apply,
        name="classification_apply",
    ),
]
