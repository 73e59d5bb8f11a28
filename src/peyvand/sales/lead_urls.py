"""Sales pages: lead."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales import lead_views

urlpatterns: list[URLPattern] = [
    path("leads/", lead_views.lead_list, name="leads"),
    path("leads/new/", lead_views.lead_create_view, name="lead_create"),
    path("leads/import/", lead_views.lead_import_view, name="lead_import"),
    path("leads/sources/", lead_views.lead_sources, name="lead_sources"),
    path("leads/<int:pk>/", lead_views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", lead_views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/status/", lead_views.lead_status, name="lead_status"),
    path("leads/<int:pk>/convert/", lead_views.lead_convert_view, name="lead_convert"),
]
