"""Page URLs of the service desk's automation pages (included by service/urls.py)."""

from django.urls import URLPattern, path

from peyvand.service import automation_views as views

urlpatterns: list[URLPattern] = [
    path("automation/", views.rule_list, name="automation_rules"),
    path("automation/new/", views.rule_create, name="automation_rule_create"),
    path("automation/runs/", views.run_list, name="automation_runs"),
    path("automation/templates/", views.notification_preview, name="notification_preview"),
    path("automation/<int:pk>/", views.rule_edit, name="automation_rule_edit"),
    path("automation/<int:pk>/delete/", views.rule_delete, name="automation_rule_delete"),
    path("automation/<int:pk>/move/", views.rule_move, name="automation_rule_move"),
]
