"""Page URLs of the service desk's routing pages (included by service/urls.py)."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
