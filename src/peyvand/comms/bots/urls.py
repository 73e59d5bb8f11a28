"""Pages and inbound endpoints of messenger bots under /comms/bots/."""

from django.urls import URLPattern, URLResolver

app_name = "bots"

urlpatterns: list[URLPattern | URLResolver] = []
