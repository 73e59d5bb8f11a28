"""URL map: pages, the HTTP API under /api/v1/, the health check and the admin."""

from django.contrib import admin
from django.urls import include, path

from peyvand.core.api import api
from peyvand.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("peyvand.accounts.urls")),
    path("customers/", include("peyvand.customers.urls")),
    path("sales/", include("peyvand.sales.urls")),
    path("service/", include("peyvand.service.urls")),
    path("comms/", include("peyvand.comms.urls")),
    path("", include("peyvand.core.urls")),
]
