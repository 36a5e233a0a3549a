"""URLs of the approval screens (inside the web namespace)."""

from django.urls import path

from guanxi.workflow import approval_views as views

urlpatterns = [
    path("approvals/", views.approval_inbox, name="approval_inbox"),
    path("approvals/count/", views.approval_inbox_count, name="approval_inbox_count"),
    path("approvals/monitor/", views.approval_monitor, name="approval_monitor"),
    path("approvals/delegations/", views.approval_delegations, name="approval_delegations"),
    path(
        "approvals/delegations/<int:pk>/end/",
        views.approval_delegation_end,
        name="approval_delegation_end",
    ),
    path("approvals/<int:pk>/", views.approval_detail, name="approval_detail"),
    path(
        "approvals/<int:pk>/<str:verb>/",
        views.approval_decide,
        name="approval_decide",
    ),
    path(
        "approvals/submit/<str:entity_name>/<int:pk>/",
        views.approval_submit,
        name="approval_submit",
    ),
    path("settings/approval-processes/", views.process_list, name="approval_process_list"),
    path("settings/approval-processes/new/", views.process_edit, name="approval_process_create"),
    path("settings/approval-processes/<int:pk>/", views.process_edit, name="approval_process_edit"),
    path(
        "settings/approval-processes/<int:pk>/delete/",
        views.process_delete,
        name="approval_process_delete",
    ),
]
