"""Pages of live chat under /comms/chat/: the console, transcripts, the widget pages and the widget's script."""

from django.urls import URLPattern, URLResolver, path

from peyvand.comms.chat import views

app_name = "chat"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.chat_console, name="console"),
    path("<int:pk>/", views.chat_session_detail, name="session"),
    path("widgets/", views.widget_list, name="widgets"),
    path("widgets/new/", views.widget_create, name="widget_create"),
    path("widgets/<int:pk>/edit/", views.widget_edit, name="widget_edit"),
    path("widget/<str:key>.js", views.widget_script, name="widget_script"),
]
