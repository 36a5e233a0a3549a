"""URLs of the business calendar settings (inside the web namespace)."""

from django.urls import path

from guanxi.workflow import calendar_views as views

urlpatterns = [
    path("settings/business-calendars/", views.calendar_list, name="business_calendar_list"),
    path(
        "settings/business-calendars/new/",
        views.calendar_edit,
        name="business_calendar_create",
    ),
    path(
        "settings/business-calendars/<int:pk>/",
        views.calendar_detail,
        name="business_calendar_detail",
    ),
    path(
        "settings/business-calendars/<int:pk>/edit/",
        views.calendar_edit,
        name="business_calendar_edit",
    ),
    path(
        "settings/business-calendars/<int:pk>/default/",
        views.calendar_default,
        name="business_calendar_default",
    ),
    path(
        "settings/business-calendars/<int:pk>/delete/",
        views.calendar_delete,
        name="business_calendar_delete",
    ),
    path(
        "settings/business-calendars/<int:pk>/days/add/",
        views.calendar_days_add,
        name="business_calendar_days_add",
    ),
    path(
        "settings/business-calendars/<int:pk>/days/paste/",
        views.calendar_days_paste,
        name="business_calendar_days_paste",
    ),
    path(
        "settings/business-calendars/<int:pk>/days/holidays/",
        views.calendar_holidays_load,
        name="business_calendar_holidays",
    ),
    path(
        "settings/business-calendars/<int:pk>/days/delete-year/",
        views.calendar_year_delete,
        name="business_calendar_year_delete",
    ),
    path(
        "settings/business-calendars/<int:pk>/days/<int:day_pk>/delete/",
        views.calendar_day_delete,
        name="business_calendar_day_delete",
    ),
]
