"""URLs of the web interface; every registered entity gets its generic screens."""

from django.urls import include, path

from guanxi.core import registry
from guanxi.dataio import views as dataio_views
from guanxi.web.views import (
    bulk,
    bulk_actions,
    bulk_documents,  # noqa: F401  (registers its bulk actions)
    duplicates,
    labels,
    notifications,
    pages,
    records,
    settings_views,
)

app_name = "web"


def entity_patterns(entity):
    name = entity.name
    kwargs = {"entity_name": name}
    return [
        path("", records.record_list, kwargs, name=f"{name}_list"),
        path("new/", records.record_create, kwargs, name=f"{name}_create"),
        path("columns/", records.choose_columns, kwargs, name=f"{name}_columns"),
        path("export/", bulk.export, kwargs, name=f"{name}_export"),
        path("import/", dataio_views.import_upload, kwargs, name=f"{name}_import"),
        path(
            "import/template/", dataio_views.import_template, kwargs, name=f"{name}_import_template"
        ),
        path("bulk/edit/", bulk.bulk_edit, kwargs, name=f"{name}_bulk_edit"),
        path("bulk/delete/", bulk.bulk_delete, kwargs, name=f"{name}_bulk_delete"),
        *[
            path(f"bulk/{action.key}/", action.view, kwargs, name=f"{name}_bulk_{action.key}")
            for action in bulk_actions.actions_for(entity)
        ],
        path("<int:pk>/", records.record_detail, kwargs, name=f"{name}_detail"),
        path("<int:pk>/edit/", records.record_edit, kwargs, name=f"{name}_edit"),
        path("<int:pk>/delete/", records.record_delete, kwargs, name=f"{name}_delete"),
        path("<int:pk>/share/", records.record_share, kwargs, name=f"{name}_share"),
        path("<int:pk>/tags/", labels.record_tags, kwargs, name=f"{name}_tags"),
        *duplicate_patterns(entity),
    ]


def duplicate_patterns(entity):
    if entity.duplicates is None:
        return []
    name = entity.name
    kwargs = {"entity_name": name}
    return [
        path("duplicates/", duplicates.duplicate_list, kwargs, name=f"{name}_duplicates"),
        path("duplicates/scan/", duplicates.duplicate_scan, kwargs, name=f"{name}_duplicate_scan"),
        path("merge/", duplicates.merge, kwargs, name=f"{name}_merge"),
        path(
            "<int:pk>/duplicates/",
            duplicates.record_duplicates,
            kwargs,
            name=f"{name}_record_duplicates",
        ),
        path("merges/<int:pk>/", duplicates.merge_detail, kwargs, name=f"{name}_merge_detail"),
    ]


urlpatterns = [
    path("", pages.home, name="home"),
    path("search/", pages.search_page, name="search"),
    path("search/quick/", pages.search_quick, name="search_quick"),
    path("autocomplete/<str:entity_name>/", records.autocomplete, name="autocomplete"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/badge/", notifications.notification_badge, name="notification_badge"),
    path("notifications/menu/", notifications.notification_menu, name="notification_menu"),
    path("notifications/read/", notifications.notification_read, name="notification_read_all"),
    path(
        "notifications/<int:pk>/read/",
        notifications.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/<int:pk>/delete/",
        notifications.notification_delete,
        name="notification_delete",
    ),
    path(
        "notifications/delete-read/",
        notifications.notification_delete_read,
        name="notification_delete_read",
    ),
    path(
        "profile/notifications/",
        notifications.notification_preferences,
        name="notification_preferences",
    ),
    path("jobs/", pages.job_list, name="job_list"),
    path("jobs/<int:pk>/", pages.job_detail, name="job_detail"),
    path("jobs/<int:pk>/download/", pages.job_download, name="job_download"),
    path(
        "groups/<int:pk>/members/remove/",
        labels.group_members_remove,
        name="group_members_remove",
    ),
    path("language/", pages.set_language, name="set_language"),
    path("profile/", pages.profile, name="profile"),
    path("settings/", include(settings_views.urlpatterns)),
    # Screens special to an entity come before its generic ones.
    path("", include("guanxi.customers.urls")),
    path("", include("guanxi.activities.urls")),
    path("", include("guanxi.customers.loyalty_urls")),
    path("", include("guanxi.service.urls")),
    path("", include("guanxi.sales.urls")),
    path("", include("guanxi.workflow.urls")),
    *[
        path(f"{entity.plural}/", include(entity_patterns(entity)))
        for entity in registry.entities()
    ],
]
