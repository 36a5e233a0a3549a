"""URLs of the incoming email screens (inside the web namespace)."""

from django.urls import path

from guanxi.activities import mailbox_views as views

urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("mailboxes/new/", views.mailbox_edit, name="mailbox_create"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/delete/", views.mailbox_delete, name="mailbox_delete"),
    path("mailboxes/<int:pk>/test/", views.mailbox_test, name="mailbox_test"),
    path("mailboxes/<int:pk>/fetch/", views.mailbox_fetch, name="mailbox_fetch"),
    path("mailboxes/unmatched/", views.unmatched_list, name="unmatched_list"),
    path("mailboxes/unmatched/<int:pk>/", views.unmatched_detail, name="unmatched_detail"),
    path(
        "mailboxes/attachments/<int:pk>/",
        views.message_attachment,
        name="message_attachment",
    ),
]
