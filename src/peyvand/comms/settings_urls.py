"""The channel settings pages (accounts, send test) and the outbox pages, under /comms/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
