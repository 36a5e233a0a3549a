"""URLs of the pipeline settings screens."""

from django.urls import path

from guanxi.sales import pipeline_views as views

urlpatterns = [
    path("settings/pipelines/", views.pipeline_settings, name="pipeline_settings"),
    path("settings/pipelines/new/", views.pipeline_settings_edit, name="pipeline_settings_create"),
    path(
        "settings/pipelines/<int:pk>/", views.pipeline_settings_edit, name="pipeline_settings_edit"
    ),
    path(
        "settings/pipelines/<int:pk>/delete/",
        views.pipeline_settings_delete,
        name="pipeline_settings_delete",
    ),
    path(
        "settings/pipelines/stages/<int:pk>/up/",
        views.pipeline_stage_move,
        {"direction": "up"},
        name="pipeline_stage_up",
    ),
    path(
        "settings/pipelines/stages/<int:pk>/down/",
        views.pipeline_stage_move,
        {"direction": "down"},
        name="pipeline_stage_down",
    ),
    path(
        "settings/pipelines/stages/<int:pk>/delete/",
        views.pipeline_stage_delete,
        name="pipeline_stage_delete",
    ),
]
