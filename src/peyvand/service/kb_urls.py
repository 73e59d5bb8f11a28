"""Page URLs of the knowledge base (included by service/urls.py under /service/)."""

from __future__ import annotations

from django.urls import URLPattern, path

from peyvand.service import kb_views

urlpatterns: list[URLPattern] = [
    path("kb/", kb_views.kb_home, name="kb"),
    path("kb/new/", kb_views.kb_article_create_view, name="kb_article_create"),
    path("kb/sections/", kb_views.kb_sections, name="kb_sections"),
    path("kb/suggest/", kb_views.kb_suggest, name="kb_suggest"),
    path("kb/<int:pk>/", kb_views.kb_article, name="kb_article"),
    path("kb/<int:pk>/edit/", kb_views.kb_article_edit, name="kb_article_edit"),
    path("kb/<int:pk>/status/", kb_views.kb_article_status, name="kb_article_status"),
    path("kb/<int:pk>/vote/", kb_views.kb_vote, name="kb_vote"),
]
