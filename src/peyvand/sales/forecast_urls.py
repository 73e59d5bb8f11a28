"""Sales pages: forecast."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.sales import forecast_views

urlpatterns: list[URLPattern] = [
    path("forecast/", forecast_views.forecast_page, name="forecast"),
]
