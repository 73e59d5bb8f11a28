"""Page URLs of the service desk's dashboard and staffing pages (included by service/urls.py)."""

from django.urls import URLPattern, path

from peyvand.service import dashboard_views

urlpatterns: list[URLPattern] = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("staffing/", dashboard_views.staffing_page, name="staffing"),
]
