"""WebSocket routes (Django Channels): the agents' call pop-up."""

from django.urls import URLPattern, path

from peyvand.comms.telephony.consumers import CallPopupConsumer

websocket_urlpatterns: list[URLPattern] = [path("ws/telephony/", CallPopupConsumer.as_asgi())]
