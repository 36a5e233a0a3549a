"""URLs of the calendar screens and the private feed (inside the web namespace)."""

from django.urls import path

from guanxi.activities import calendar_views

urlpatterns = [
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("calendar/activities/<int:pk>/move/", calendar_views.calendar_move, name="calendar_move"),
    path("calendar/subscribe/", calendar_views.calendar_subscribe, name="calendar_subscribe"),
    path("calendar/feed/<str:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
]
