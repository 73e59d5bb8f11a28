"""Sales pages: quotes (پیش‌فاکتور)."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales import quote_views

urlpatterns: list[URLPattern] = [
    path("quotes/", quote_views.quote_list, name="quotes"),
    path("quotes/new/", quote_views.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", quote_views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", quote_views.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/revise/", quote_views.quote_revise, name="quote_revise"),
    path("quotes/<int:pk>/pdf/", quote_views.quote_pdf, name="quote_pdf"),
    path("quotes/<int:pk>/send/", quote_views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", quote_views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/reject/", quote_views.quote_reject, name="quote_reject"),
]
