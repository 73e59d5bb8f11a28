"""The chat sockets: a visitor's widget (from the sites a widget allows) and the agents' console (staff session).

Every conversation has a group the visitor's sockets listen on; every console listens on one group for all
conversations and keeps what its agent may see. A frame that cannot be read, is too big, comes too fast or
fails is answered with an error frame naming the client's message id: the socket stays open and the widget
keeps the message to send again, so nothing accepted is lost and nothing breaks the server."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.comms.chat import canned, selectors, services
from peyvand.comms.chat.models import ChatAuthor, ChatSession, ChatStatus, ChatWidget
from peyvand.comms.chat.payloads import message_payload, session_payload

logger = logging.getLogger(__name__)

AGENTS_GROUP = "chat-agents"
# A frame larger than this is refused unread (the longest message allowed is far smaller).
MAX_FRAME = 64 * 1024
# Refused before the handshake completes: the browser sees the connection fail.
REFUSED = 4403
UNAUTHENTICATED = 4401


def session_group(session_id: int) -> str:
    return f"chat-session-{session_id}"


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(str(m) for messages in exc.message_dict.values() for m in messages)
    return " ".join(str(m) for m in exc.messages)


class _JsonSocket(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no type hints
    """Frames in and out as JSON objects; a frame that is not one is answered, never fatal."""

    language = "fa"

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

    async def send_error(self, code: str, message: str, *, client_id: str = "", **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, "id": client_id, **extra})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with translation.override(self.language):
            if text_data is None or len(text_data) > MAX_FRAME:
                await self.send_error("invalid", _("The message could not be read."))
                return
            try:
                data = json.loads(text_data)
            except ValueError:
                data = None
            if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                await self.send_error("invalid", _("The message could not be read."))
                return
            client_id = str(data.get("id") or "")[:64]
            handler = (
                getattr(self, "on_" + data["type"].replace("-", "_"), None) if data["type"].isidentifier() else None
            )
            if handler is None:
                await self.send_error("invalid", _("Unknown request."), client_id=client_id)
                return
            try:
                await handler(data, client_id)
            except ValidationError as exc:
                fields = getattr(exc, "message_dict", {})
                await self.send_error("invalid", _error_text(exc), client_id=client_id, fields=fields)
            except (ObjectDoesNotExist, PermissionDenied) as exc:
                code = "not_found" if isinstance(exc, ObjectDoesNotExist) else "forbidden"
                text = _("No such chat.") if code == "not_found" else (str(exc) or _("You may not do this."))
                await self.send_error(code, text, client_id=client_id)
            except Exception:
                logger.exception("chat socket: %s failed", data["type"])
                await self.send_error("server", _("Something went wrong; try again."), client_id=client_id)

    async def on_ping(self, data: dict[str, Any], client_id: str) -> None:
        await self.send_json({"type": "pong"})


class VisitorConsumer(_JsonSocket):
    """ws/chat/visitor/<key>/?v=<visitor id>&lang=fa|en&page=<url>: a visitor's widget on an allowed site."""

    widget: ChatWidget
    session_id: int | None = None

    async def connect(self) -> None:
        params = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.visitor_id = (params.get("v") or [""])[0]
        lang = (params.get("lang") or ["fa"])[0]
        self.language = lang if lang in ("fa", "en") else "fa"
        self.page = (params.get("page") or [""])[0][:500]
        client = self.scope.get("client")
        self.ip = client[0] if client else None
        key = self.scope["url_route"]["kwargs"]["key"]
        origin = _header(self.scope, b"origin")
        widget = await database_sync_to_async(selectors.widget_by_key)(key)
        if widget is None or not services.origin_allowed(widget, origin):
            logger.info("chat: visitor socket refused (widget %r, origin %r)", key[:40], origin[:200])
            await self.close(code=REFUSED)
            return
        if not services.valid_visitor_id(self.visitor_id):
            logger.info("chat: visitor socket refused, bad visitor id (widget %r)", key[:40])
            await self.close(code=REFUSED)
            return
        self.widget = widget
        hello = await database_sync_to_async(self._hello)()
        await self.accept()
        if self.session_id is not None:
            await self.channel_layer.group_add(session_group(self.session_id), self.channel_name)
        await self.send_json(hello)

    def _hello(self) -> dict[str, Any]:
        session = services.session_find(widget=self.widget, visitor_id=self.visitor_id)
        self.session_id = session.pk if session else None
        greeting = self.widget.greeting_en if self.language == "en" else self.widget.greeting_fa
        return {
            "type": "hello",
            "online": services.agents_online(self.widget),
            "offline_form": self.widget.offline_form,
            "greeting": greeting or self.widget.greeting_fa or self.widget.greeting_en,
            "session": self._visitor_session(session) if session else None,
            "messages": (
                [message_payload(m, for_visitor=True) for m in selectors.chat_transcript(session, limit=200)]
                if session
                else []
            ),
            "max_length": services.max_message_length(),
        }

    @staticmethod
    def _visitor_session(session: ChatSession) -> dict[str, Any]:
        return {"id": session.pk, "status": session.status, "name": session.name, "email": session.email}

    async def disconnect(self, code: int) -> None:
        if self.session_id is not None:
            await self.channel_layer.group_discard(session_group(self.session_id), self.channel_name)

    def _rate_allowed(self) -> bool:
        return services.rate_allowed(visitor=f"{self.widget.pk}:{self.visitor_id}", address=self.ip)

    def _post(self, data: dict[str, Any], client_id: str) -> dict[str, Any]:
        session = (
            ChatSession.objects.select_related("widget", "agent", "customer", "ticket")
            .filter(pk=self.session_id)
            .first()
            if self.session_id
            else None
        )
        if session is not None and client_id:
            known = session.messages.filter(client_id=client_id).first()
            if known is not None:
                return {"message": known, "created": False, "session": session, "new_session": False}
        if not self._rate_allowed():
            return {"rate_limited": True}
        # The text is checked before a conversation is opened for it.
        services.clean_message_text(data.get("text"))
        new_session = session is None or session.status == ChatStatus.CLOSED
        identity = {k: data[k] for k in ("name", "email", "phone") if data.get(k)}
        if new_session:
            session = services.session_open(
                widget=self.widget,
                visitor_id=self.visitor_id,
                identity=identity,
                origin_page=self.page,
                ip_address=self.ip,
                language=self.language,
            )
            session = ChatSession.objects.select_related("widget", "agent", "customer", "ticket").get(pk=session.pk)
        elif identity:
            assert session is not None
            services.session_identify(session=session, identity=identity)
        assert session is not None
        message, created = services.message_post(
            session=session, author=ChatAuthor.VISITOR, text=data.get("text"), client_id=client_id
        )
        return {"message": message, "created": created, "session": session, "new_session": new_session}

    async def on_message(self, data: dict[str, Any], client_id: str) -> None:
        result = await database_sync_to_async(self._post)(data, client_id)
        if result.get("rate_limited"):
            logger.info("chat: visitor %s of widget %s is sending too fast", self.visitor_id, self.widget.pk)
            _limit, seconds = services.rate_limit()
            await self.send_error(
                "rate_limited",
                _("You are sending messages too fast; your message will be sent in a few seconds."),
                client_id=client_id,
                retry_after=seconds,
            )
            return
        session: ChatSession = result["session"]
        message = result["message"]
        if session.pk != self.session_id:
            if self.session_id is not None:
                await self.channel_layer.group_discard(session_group(self.session_id), self.channel_name)
            self.session_id = session.pk
            await self.channel_layer.group_add(session_group(session.pk), self.channel_name)
        visitor_copy = message_payload(message, for_visitor=True)
        await self.send_json(
            {"type": "ack", "id": client_id, "message": visitor_copy, "session": self._visitor_session(session)}
        )
        if not result["created"]:
            return
        await self.channel_layer.group_send(
            session_group(session.pk), {"type": "chat.message", "message": visitor_copy, "sender": self.channel_name}
        )
        if result["new_session"]:
            await broadcast_session(self.channel_layer, session)
        await self.channel_layer.group_send(
            AGENTS_GROUP,
            {
                "type": "agents.message",
                "team_id": session.team_id,
                "agent_id": session.agent_id,
                "message": message_payload(message),
            },
        )

    async def on_identify(self, data: dict[str, Any], client_id: str) -> None:
        if self.session_id is None:
            # Kept by the widget and sent with the first message.
            await self.send_json({"type": "identified", "id": client_id})
            return

        session_id = self.session_id

        def identify() -> ChatSession:
            session = ChatSession.objects.select_related("widget", "agent", "customer", "ticket").get(pk=session_id)
            return services.session_identify(session=session, identity=data)

        session = await database_sync_to_async(identify)()
        await self.send_json({"type": "identified", "id": client_id, "session": self._visitor_session(session)})
        await broadcast_session(self.channel_layer, session)

    async def on_offline(self, data: dict[str, Any], client_id: str) -> None:
        def leave() -> ChatSession | None:
            if not self._rate_allowed():
                return None
            return services.offline_message(
                widget=self.widget,
                visitor_id=self.visitor_id,
                data=data,
                origin_page=self.page,
                ip_address=self.ip,
                language=self.language,
            )

        session = await database_sync_to_async(leave)()
        if session is None:
            _limit, seconds = services.rate_limit()
            await self.send_error(
                "rate_limited", _("Too many messages; wait a few seconds."), client_id=client_id, retry_after=seconds
            )
            return
        number = session.ticket.number if session.ticket else ""
        await self.send_json(
            {
                "type": "offline_received",
                "id": client_id,
                "ticket": number,
                "message": _("Thank you. Your message was received as ticket %(number)s; we will answer you soon.")
                % {"number": number},
            }
        )

    async def on_close(self, data: dict[str, Any], client_id: str) -> None:
        if self.session_id is None:
            return
        session_id = self.session_id

        def close() -> ChatSession:
            return services.session_close(session=ChatSession.objects.get(pk=session_id), by=None)

        session = await database_sync_to_async(close)()
        await self.channel_layer.group_send(session_group(session_id), {"type": "chat.closed"})
        await broadcast_session(self.channel_layer, session)

    # --- group events ---

    async def chat_message(self, event: dict[str, Any]) -> None:
        if event.get("sender") == self.channel_name:
            # This socket has its ack already; the visitor's other tabs get the message.
            return
        await self.send_json({"type": "message", "message": event["message"]})

    async def chat_closed(self, event: dict[str, Any]) -> None:
        if self.session_id is not None:
            await self.channel_layer.group_discard(session_group(self.session_id), self.channel_name)
        self.session_id = None
        with translation.override(self.language):
            await self.send_json({"type": "closed", "message": _("The chat has ended. Thank you!")})


class AgentConsumer(_JsonSocket):
    """ws/chat/agent/: the console of a logged-in member of staff."""

    user: User
    team_ids: set[int] | None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not isinstance(user, User) or not user.is_active:
            await self.close(code=UNAUTHENTICATED)
            return
        self.user = user
        chosen = self.scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, "")
        self.language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        self.team_ids = await database_sync_to_async(selectors.team_ids_visible_to)(user)
        await self.accept()
        await self.channel_layer.group_add(AGENTS_GROUP, self.channel_name)
        queue = await database_sync_to_async(self._queue)()
        await self.send_json({"type": "queue", "sessions": queue})

    def _queue(self) -> list[dict[str, Any]]:
        services.presence_join(user=self.user, channel_name=self.channel_name)
        rows = []
        for session in selectors.chat_queue(user=self.user):
            item = session_payload(
                session, customer_visible=selectors.customer_visible(user=self.user, customer_id=session.customer_id)
            )
            item["messages"] = [message_payload(m) for m in selectors.chat_transcript(session, limit=50)]
            rows.append(item)
        return rows

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        await self.channel_layer.group_discard(AGENTS_GROUP, self.channel_name)
        await database_sync_to_async(services.presence_leave)(channel_name=self.channel_name)

    def _sees(self, team_id: int | None, agent_id: int | None) -> bool:
        return self.team_ids is None or team_id in self.team_ids or agent_id == self.user.pk

    async def on_ping(self, data: dict[str, Any], client_id: str) -> None:
        await database_sync_to_async(services.presence_touch)(channel_name=self.channel_name)
        await self.send_json({"type": "pong"})

    def _session(self, data: dict[str, Any]) -> ChatSession:
        value = data.get("session")
        if not isinstance(value, int) and not (isinstance(value, str) and value.isdigit()):
            raise ChatSession.DoesNotExist
        return selectors.chat_session_get(user=self.user, pk=int(value))

    async def on_open(self, data: dict[str, Any], client_id: str) -> None:
        def read() -> dict[str, Any]:
            session = self._session(data)
            item = session_payload(
                session, customer_visible=selectors.customer_visible(user=self.user, customer_id=session.customer_id)
            )
            item["messages"] = [message_payload(m) for m in selectors.chat_transcript(session)]
            return item

        await self.send_json({"type": "transcript", "id": client_id, "session": await database_sync_to_async(read)()})

    async def on_take(self, data: dict[str, Any], client_id: str) -> None:
        def take() -> tuple[ChatSession, Any]:
            session = services.session_take(session=self._session(data), by=self.user)
            return session, session.messages.order_by("-id").first()

        session, joined = await database_sync_to_async(take)()
        await self._announce(session, joined)

    async def on_reply(self, data: dict[str, Any], client_id: str) -> None:
        def reply() -> tuple[ChatSession, Any, Any, bool]:
            session = self._session(data)
            if session.status == ChatStatus.CLOSED:
                raise ValidationError({"session": [_("This chat is closed.")]})
            joined = None
            if session.agent_id != self.user.pk:
                session = services.session_take(session=session, by=self.user)
                joined = session.messages.order_by("-id").first()
            message, created = services.message_post(
                session=session, author=ChatAuthor.AGENT, text=data.get("text"), client_id=client_id, agent=self.user
            )
            if created and data.get("kb_article") is not None:
                canned.kb_article_sent(article_id=data.get("kb_article"), by=self.user)
            return session, joined, message, created

        session, joined, message, created = await database_sync_to_async(reply)()
        if joined is not None:
            await self._announce(session, joined)
        await self.send_json({"type": "ack", "id": client_id, "message": message_payload(message)})
        if created:
            await self._broadcast_message(session, message)

    async def on_close(self, data: dict[str, Any], client_id: str) -> None:
        session = await database_sync_to_async(
            lambda: services.session_close(session=self._session(data), by=self.user)
        )()
        await self.channel_layer.group_send(session_group(session.pk), {"type": "chat.closed"})
        await broadcast_session(self.channel_layer, session)

    async def _announce(self, session: ChatSession, system_message: Any) -> None:
        await broadcast_session(self.channel_layer, session)
        if system_message is not None:
            await self._broadcast_message(session, system_message)

    async def _broadcast_message(self, session: ChatSession, message: Any) -> None:
        await self.channel_layer.group_send(
            session_group(session.pk), {"type": "chat.message", "message": message_payload(message, for_visitor=True)}
        )
        await self.channel_layer.group_send(
            AGENTS_GROUP,
            {
                "type": "agents.message",
                "team_id": session.team_id,
                "agent_id": session.agent_id,
                "message": message_payload(message),
            },
        )

    # --- group events ---

    async def agents_session(self, event: dict[str, Any]) -> None:
        if not self._sees(event["team_id"], event["agent_id"]):
            return
        item = dict(event["session"])
        if item["customer_id"] is not None:
            visible = await database_sync_to_async(selectors.customer_visible)(
                user=self.user, customer_id=item["customer_id"]
            )
            if not visible:
                item.update(customer_id=None, customer_name="", customer_url="")
        await self.send_json({"type": "session", "session": item})

    async def agents_message(self, event: dict[str, Any]) -> None:
        if self._sees(event["team_id"], event["agent_id"]):
            await self.send_json({"type": "message", "message": event["message"]})


async def broadcast_session(layer: Any, session: ChatSession) -> None:
    """Tell every console a conversation is new or changed (each keeps it only if its agent may see it)."""
    payload = await database_sync_to_async(lambda: session_payload(_fresh(session)))()
    await layer.group_send(
        AGENTS_GROUP,
        {"type": "agents.session", "team_id": payload["team_id"], "agent_id": payload["agent_id"], "session": payload},
    )


def _fresh(session: ChatSession) -> ChatSession:
    return ChatSession.objects.select_related("widget", "agent", "customer", "ticket").get(pk=session.pk)
