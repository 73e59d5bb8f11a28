"""Pages and inbound endpoints of web forms under /comms/webforms/."""

from django.urls import URLPattern, URLResolver

app_name = "webforms"

urlpatterns: list[URLPattern | URLResolver] = []
