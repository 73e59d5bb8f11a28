"""Sales pages: contracts (with their files, renewal and termination) and sales targets."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales import contract_views as views

urlpatterns: list[URLPattern] = [
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/activate/", views.contract_activate, name="contract_activate"),
    path("contracts/<int:pk>/terminate/", views.contract_terminate, name="contract_terminate"),
    path("contracts/<int:pk>/renew/", views.contract_renew, name="contract_renew"),
    path("contracts/<int:pk>/files/", views.contract_file_upload, name="contract_file_upload"),
    path("contracts/<int:pk>/files/<int:file_id>/", views.contract_file_download, name="contract_file_download"),
    path("contracts/<int:pk>/files/<int:file_id>/remove/", views.contract_file_remove, name="contract_file_remove"),
    path("targets/", views.target_list, name="targets"),
    path("targets/edit/", views.target_edit, name="target_edit"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
]
