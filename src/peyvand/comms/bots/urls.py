"""Pages and inbound endpoints of messenger bots under /comms/bots/."""

from django.urls import URLPattern, URLResolver, path

from peyvand.comms.bots import views

app_name = "bots"

urlpatterns: list[URLPattern | URLResolver] = [
    path("chats/", views.chat_list, name="chat_list"),
    path("chats/<int:pk>/", views.chat_detail, name="chat_detail"),
    path("chats/<int:pk>/files/<str:direction>/<int:file_id>/", views.chat_file, name="chat_file"),
    path("accounts/<int:account_id>/webhook/", views.bot_webhook, name="webhook"),
    path("link/<int:customer_id>/", views.customer_link, name="customer_link"),
    path("<str:token>/update", views.bot_update, name="update"),
]
