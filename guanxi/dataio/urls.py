"""URLs of the import screens; each entity's upload page is in its own URLs (web/urls.py)."""

from django.urls import path

from guanxi.dataio import views

app_name = "dataio"

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/start/", views.import_start, name="import_start"),
    path("<int:pk>/errors/", views.import_errors, name="import_errors"),
    path("<int:pk>/undo/", views.import_undo, name="import_undo"),
]
