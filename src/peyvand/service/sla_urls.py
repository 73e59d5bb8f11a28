"""Page URLs of the service desk's SLA pages: the policies and the working calendar (included by service/urls.py)."""

from django.urls import URLPattern, path

from peyvand.service import sla_views

urlpatterns: list[URLPattern] = [
    path("sla/", sla_views.sla_policies, name="sla_policies"),
    path("sla/new/", sla_views.sla_policy_create_view, name="sla_policy_create"),
    path("sla/<int:pk>/edit/", sla_views.sla_policy_edit, name="sla_policy_edit"),
    path("sla/<int:pk>/delete/", sla_views.sla_policy_delete_view, name="sla_policy_delete"),
    path("sla/<int:pk>/move/", sla_views.sla_policy_move, name="sla_policy_move"),
    path("calendar/", sla_views.service_calendar, name="service_calendar"),
    path("calendar/settings/", sla_views.service_settings_save, name="service_settings"),
    path("calendar/holidays/", sla_views.holiday_create, name="holiday_create"),
    path("calendar/holidays/load/", sla_views.holidays_load, name="holidays_load"),
    path("calendar/holidays/<int:pk>/remove/", sla_views.holiday_delete, name="holiday_delete"),
]
