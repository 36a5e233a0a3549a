"""URLs of the customer care screens (inside the web namespace)."""

from django.urls import path

from guanxi.service import views

urlpatterns = [
    path("care/", views.care_calendar, name="care_calendar"),
    path("care/stats/", views.care_stats, name="care_stats"),
    path("care/tasks/<int:pk>/", views.care_task_detail, name="care_task"),
    path("settings/care-plans/", views.plan_list, name="care_plan_list"),
    path("settings/care-plans/new/", views.plan_edit, name="care_plan_create"),
    path("settings/care-plans/run/", views.plan_run, name="care_plan_run"),
    path("settings/care-plans/<int:pk>/", views.plan_edit, name="care_plan_edit"),
    path("settings/care-plans/<int:pk>/delete/", views.plan_delete, name="care_plan_delete"),
    path("settings/care-plans/<int:pk>/preview/", views.plan_preview, name="care_plan_preview"),
]
