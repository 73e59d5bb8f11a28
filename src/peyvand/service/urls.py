"""Service desk page URLs under /service/ (the HTTP API has its own under /api/v1/)."""

from django.urls import path
from django.views.generic import RedirectView

from peyvand.service import (
    automation_urls,
    dashboard_urls,
    kb_urls,
    routing_urls,
    satisfaction_urls,
    sla_urls,
    ticket_urls,
)

app_name = "service"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="service:queue"), name="index"),
    # Each part of the desk keeps its pages' URLs beside its views.
    *ticket_urls.urlpatterns,
    *sla_urls.urlpatterns,
    *routing_urls.urlpatterns,
    *automation_urls.urlpatterns,
    *kb_urls.urlpatterns,
    *satisfaction_urls.urlpatterns,
    *dashboard_urls.urlpatterns,
]
