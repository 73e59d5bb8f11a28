"""Customer page URLs under /customers/ (the HTTP API has its own under /api/v1/)."""

from django.urls import path

from peyvand.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("search/", views.customer_search, name="search"),
    path("new/", views.customer_create, name="create"),
    path("organizations/", views.organization_tree, name="org_tree"),
    path("organizations/options/", views.organization_options, name="organization_options"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/history/", views.customer_history, name="history"),
    path("<int:pk>/history/<int:number>/restore/", views.customer_restore, name="restore"),
    path("<int:pk>/interactions/", views.interaction_create, name="interaction_create"),
    path("<int:pk>/consents/", views.consent_set, name="consent_set"),
]
