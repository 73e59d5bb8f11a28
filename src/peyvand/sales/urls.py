"""Sales page URLs under /sales/ (the HTTP API has its own under /api/v1/)."""

from django.urls import path
from django.views.generic import RedirectView

from peyvand.sales import (
    activity_urls,
    billing_urls,
    contract_urls,
    forecast_urls,
    lead_urls,
    product_views,
    quote_urls,
    views,
)

app_name = "sales"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="sales:board"), name="index"),
    path("deals/board/", views.deal_board, name="board"),
    path("deals/", views.deal_list, name="deals"),
    path("deals/new/", views.deal_create, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("deals/<int:pk>/contacts/", views.deal_contact_add, name="deal_contact_add"),
    path("deals/<int:pk>/contacts/<int:contact_id>/remove/", views.deal_contact_remove, name="deal_contact_remove"),
    path("products/", product_views.product_list, name="products"),
    path("products/new/", product_views.product_create, name="product_create"),
    path("products/<int:pk>/edit/", product_views.product_edit, name="product_edit"),
    # Each part of sales keeps its pages' URLs beside its views.
    *lead_urls.urlpatterns,
    *quote_urls.urlpatterns,
    *billing_urls.urlpatterns,
    *contract_urls.urlpatterns,
    *activity_urls.urlpatterns,
    *forecast_urls.urlpatterns,
]
