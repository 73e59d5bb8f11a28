"""Customer page URLs under /customers/ (the HTTP API has its own under /api/v1/)."""

from django.urls import path

from peyvand.customers import export_views, import_views, quality_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("search/", views.customer_search, name="search"),
    path("export/", export_views.customer_export, name="export"),
    path("exports/", export_views.export_list, name="exports"),
    path("exports/<int:pk>/", export_views.export_job_detail, name="export_job"),
    path("exports/<int:pk>/file/", export_views.export_job_file, name="export_job_file"),
    path("new/", views.customer_create, name="create"),
    path("organizations/", views.organization_tree, name="org_tree"),
    path("organizations/options/", views.organization_options, name="organization_options"),
    path("duplicates/", quality_views.duplicate_queue, name="duplicates"),
    path("duplicates/<int:pk>/dismiss/", quality_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("duplicates/<int:pk>/merge/", quality_views.duplicate_merge, name="duplicate_merge"),
    path("merges/<int:pk>/undo/", quality_views.merge_undo, name="merge_undo"),
    path("health/", quality_views.data_health, name="health"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/history/", views.customer_history, name="history"),
    path("<int:pk>/history/<int:number>/restore/", views.customer_restore, name="restore"),
    path("<int:pk>/interactions/", views.interaction_create, name="interaction_create"),
    path("<int:pk>/consents/", views.consent_set, name="consent_set"),
    path("import/", import_views.import_start, name="import"),
    path("import/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("import/<int:pk>/map/", import_views.import_map, name="import_map"),
    path("import/<int:pk>/preview/", import_views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/sheet/", import_views.import_sheet, name="import_sheet"),
    path("import/<int:pk>/cancel/", import_views.import_cancel, name="import_cancel"),
    path("import/<int:pk>/rejected.xlsx", import_views.import_rejected, name="import_rejected"),
]
