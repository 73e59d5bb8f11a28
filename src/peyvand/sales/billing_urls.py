"""Sales pages: orders, invoices and their payments, and the customer ranking."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales import billing_views as views

urlpatterns: list[URLPattern] = [
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/fulfil/", views.order_fulfil, name="order_fulfil"),
    path("orders/<int:pk>/invoice/", views.order_invoice, name="order_invoice"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/cancel/", views.invoice_cancel, name="invoice_cancel"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/payments/", views.payment_add, name="payment_add"),
    path("payments/<int:pk>/cheque-status/", views.cheque_status, name="cheque_status"),
    path("customers/ranking/", views.customer_ranking, name="customer_ranking"),
    path("customers/ranking/recompute/", views.customer_ranking_recompute, name="customer_ranking_recompute"),
]
