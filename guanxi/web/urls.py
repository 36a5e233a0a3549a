"""URLs of the web interface; every registered entity gets its generic screens."""

from django.urls import include, path

from guanxi.core import registry
from guanxi.web.views import bulk, pages, records, settings_views

app_name = "web"


def entity_patterns(entity):
    name = entity.name
    kwargs = {"entity_name": name}
    return [
        path("", records.record_list, kwargs, name=f"{name}_list"),
        path("new/", records.record_create, kwargs, name=f"{name}_create"),
        path("columns/", records.choose_columns, kwargs, name=f"{name}_columns"),
        path("export/", bulk.export, kwargs, name=f"{name}_export"),
        path("bulk/edit/", bulk.bulk_edit, kwargs, name=f"{name}_bulk_edit"),
        path("bulk/delete/", bulk.bulk_delete, kwargs, name=f"{name}_bulk_delete"),
        path("<int:pk>/", records.record_detail, kwargs, name=f"{name}_detail"),
        path("<int:pk>/edit/", records.record_edit, kwargs, name=f"{name}_edit"),
        path("<int:pk>/delete/", records.record_delete, kwargs, name=f"{name}_delete"),
        path("<int:pk>/share/", records.record_share, kwargs, name=f"{name}_share"),
    ]


urlpatterns = [
    path("", pages.home, name="home"),
    path("search/", pages.search_page, name="search"),
    path("search/quick/", pages.search_quick, name="search_quick"),
    path("autocomplete/<str:entity_name>/", records.autocomplete, name="autocomplete"),
    path("notifications/", pages.notification_list, name="notification_list"),
    path("notifications/menu/", pages.notification_menu, name="notification_menu"),
    path("notifications/read/", pages.notification_read, name="notification_read_all"),
    path("notifications/<int:pk>/read/", pages.notification_read, name="notification_read"),
    path("jobs/", pages.job_list, name="job_list"),
    path("jobs/<int:pk>/", pages.job_detail, name="job_detail"),
    path("language/", pages.set_language, name="set_language"),
    path("profile/", pages.profile, name="profile"),
    path("settings/", include(settings_views.urlpatterns)),
    path("", include("guanxi.customers.urls")),
    *[
        path(f"{entity.plural}/", include(entity_patterns(entity)))
        for entity in registry.entities()
    ],
]
