"""Pages of live chat under /comms/chat/: the console, transcripts, the widget pages and the widget's script,
the console's canned answers and the saved replies' pages."""

from django.urls import URLPattern, URLResolver, path

from peyvand.comms.chat import canned_views, views

app_name = "chat"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.chat_console, name="console"),
    path("<int:pk>/", views.chat_session_detail, name="session"),
    path("widgets/", views.widget_list, name="widgets"),
    path("widgets/new/", views.widget_create, name="widget_create"),
    path("widgets/<int:pk>/edit/", views.widget_edit, name="widget_edit"),
    path("widget/<str:key>.js", views.widget_script, name="widget_script"),
    path("canned/", canned_views.canned_search, name="canned"),
    path("replies/", canned_views.canned_list, name="canned_list"),
    path("replies/new/", canned_views.canned_create, name="canned_create"),
    path("replies/<int:pk>/edit/", canned_views.canned_edit, name="canned_edit"),
    path("replies/<int:pk>/delete/", canned_views.canned_delete, name="canned_delete"),
]
