"""Every WebSocket route of the channels, for peyvand.asgi."""

from django.urls import URLPattern

from peyvand.comms.chat.routing import websocket_urlpatterns as chat_routes
from peyvand.comms.telephony.routing import websocket_urlpatterns as telephony_routes

websocket_urlpatterns: list[URLPattern] = [*telephony_routes, *chat_routes]
