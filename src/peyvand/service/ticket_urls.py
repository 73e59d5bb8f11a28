"""Page URLs of the service desk's ticket pages (included by service/urls.py)."""

from django.urls import URLPattern, path

from peyvand.service import ticket_category_views
from peyvand.service import ticket_views as views

urlpatterns: list[URLPattern] = [
    path("tickets/", views.ticket_queue, name="queue"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/category-fields/", views.ticket_category_fields, name="ticket_category_fields"),
    path("tickets/customer-search/", views.ticket_customer_search, name="ticket_customer_search"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/edit/", views.ticket_edit, name="ticket_edit"),
    path("tickets/<int:pk>/messages/", views.ticket_message, name="ticket_message"),
    path("tickets/<int:pk>/assign/", views.ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/status/", views.ticket_status, name="ticket_status"),
    path("tickets/<int:pk>/attachments/", views.ticket_attachment_upload, name="ticket_attachment_upload"),
    path(
        "tickets/<int:pk>/attachments/<int:attachment_id>/",
        views.ticket_attachment_download,
        name="ticket_attachment_download",
    ),
    path("ticket-categories/", ticket_category_views.category_list, name="ticket_categories"),
    path("ticket-categories/new/", ticket_category_views.category_edit, name="ticket_category_create"),
    path("ticket-categories/<int:pk>/edit/", ticket_category_views.category_edit, name="ticket_category_edit"),
]
