"""Sales pages: activities (agenda, team calendar, forms) and the staff notifications page."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales import activity_views as views

urlpatterns: list[URLPattern] = [
    path("agenda/", views.agenda, name="agenda"),
    path("calendar/", views.calendar, name="calendar"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/complete/", views.activity_complete, name="activity_complete"),
    path("activities/<int:pk>/cancel/", views.activity_cancel, name="activity_cancel"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
]
