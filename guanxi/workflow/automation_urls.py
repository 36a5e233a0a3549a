"""URLs of the automation rule screens and the runs monitor (inside the web namespace)."""

from django.urls import path

from guanxi.workflow import automation_views as views

urlpatterns = [
    path("settings/automation/", views.rule_list, name="automation_rule_list"),
    path("settings/automation/new/", views.rule_edit, name="automation_rule_create"),
    path("settings/automation/trigger/", views.trigger_fields, name="automation_trigger_fields"),
    path("settings/automation/action/", views.action_row, name="automation_action_row"),
    path("settings/automation/<int:pk>/", views.rule_edit, name="automation_rule_edit"),
    path("settings/automation/<int:pk>/test/", views.rule_test, name="automation_rule_test"),
    path("settings/automation/<int:pk>/toggle/", views.rule_toggle, name="automation_rule_toggle"),
    path("settings/automation/<int:pk>/delete/", views.rule_delete, name="automation_rule_delete"),
    path("settings/automation/runs/", views.run_list, name="automation_run_list"),
    path("settings/automation/runs/retry/", views.run_retry, name="automation_run_retry"),
    path("settings/automation/runs/<int:pk>/", views.run_detail, name="automation_run_detail"),
]
