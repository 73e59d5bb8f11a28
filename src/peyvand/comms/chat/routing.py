"""WebSocket routes of live chat: the visitors' widget (its own stack in peyvand.asgi, checked against each
widget's allowed origins) and the agents' console (the staff stack)."""

from django.urls import URLPattern, path

from peyvand.comms.chat.consumers import AgentConsumer, VisitorConsumer

VISITOR_PREFIX = "/ws/chat/visitor/"

visitor_urlpatterns: list[URLPattern] = [
    path("ws/chat/visitor/<str:key>/", VisitorConsumer.as_asgi()),
]

websocket_urlpatterns: list[URLPattern] = [
    path("ws/chat/agent/", AgentConsumer.as_asgi()),
]
