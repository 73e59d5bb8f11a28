"""Pages and inbound endpoints of sms under /comms/sms/."""

from django.urls import URLPattern, URLResolver

app_name = "sms"

urlpatterns: list[URLPattern | URLResolver] = []
