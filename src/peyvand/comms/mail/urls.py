"""Pages and inbound endpoints of e-mail under /comms/mail/."""

from django.urls import URLPattern, URLResolver

app_name = "mail"

urlpatterns: list[URLPattern | URLResolver] = []
