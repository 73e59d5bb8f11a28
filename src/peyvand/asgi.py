"""ASGI entry point (daphne, uvicorn): HTTP through Django, WebSockets (the call pop-up, live chat) through
Django Channels. Staff sockets carry the staff session and must come from the site's own hosts; a chat widget's
visitor socket comes from other sites, so it has its own route, checked against the widget's allowed origins."""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")
# Django is set up before anything imports models (the WebSocket consumers do).
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from peyvand.comms.chat.routing import VISITOR_PREFIX, visitor_urlpatterns  # noqa: E402
from peyvand.comms.routing import websocket_urlpatterns  # noqa: E402

staff_websockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
# No session, no cookies: a visitor is known by the id their widget keeps, never by a staff login.
visitor_websockets = URLRouter(visitor_urlpatterns)


async def websockets(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["path"].startswith(VISITOR_PREFIX):
        await visitor_websockets(scope, receive, send)
    else:
        await staff_websockets(scope, receive, send)


application = ProtocolTypeRouter({"http": django_application, "websocket": websockets})
