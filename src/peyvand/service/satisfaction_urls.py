"""Page URLs of satisfaction (included by service/urls.py under /service/): the customer's public answer page
and the results."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.service import satisfaction_views

urlpatterns: list[URLPattern] = [
    path("feedback/<str:token>/", satisfaction_views.feedback, name="feedback"),
    path("satisfaction/", satisfaction_views.satisfaction_results, name="satisfaction"),
]
