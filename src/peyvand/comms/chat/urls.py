"""Pages and inbound endpoints of live chat under /comms/chat/."""

from django.urls import URLPattern, URLResolver

app_name = "chat"

urlpatterns: list[URLPattern | URLResolver] = []
