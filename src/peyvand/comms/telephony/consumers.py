"""The agent's call pop-up socket (/ws/telephony/): joins the groups of the agent and of their extensions and, for
each call it hears of, sends what this agent may see of it."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from peyvand.comms.telephony.push import extension_group, user_group

logger = logging.getLogger(__name__)


def _groups_of(user: Any) -> list[str]:
    from peyvand.comms.models import Channel, ChannelAccount
    from peyvand.comms.telephony.models import Extension

    groups = [user_group(user.pk)]
    own = Extension.objects.filter(user=user).values_list("account_id", "number")
    groups += [extension_group(account_id, number) for account_id, number in own]
    if user.extension:
        accounts = ChannelAccount.objects.filter(channel=Channel.CALL, is_active=True).values_list("pk", flat=True)
        groups += [extension_group(pk, user.extension) for pk in accounts]
    return list(dict.fromkeys(groups))


def _payload(call_id: int, user: Any, kind: str, language: str) -> dict[str, Any] | None:
    from django.utils import translation

    from peyvand.comms.telephony.selectors import popup_payload

    # The pop-up's own labels are in the page; the choice labels it carries (tier, status) follow the page's language.
    with translation.override(language):
        return popup_payload(call_id=call_id, user=user, kind=kind)


class CallPopupConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels ships no type hints
    groups_joined: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.user = user
        language = (self.scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
        self.language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        self.groups_joined = await database_sync_to_async(_groups_of)(user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The browser only listens; a ping keeps proxies from closing an idle socket.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"kind": "pong"})

    async def _send_call(self, event: dict[str, Any], kind: str) -> None:
        try:
            payload = await database_sync_to_async(_payload)(int(event["call_id"]), self.user, kind, self.language)
        except Exception:  # one call that cannot be shown must not close the agent's socket
            logger.exception("telephony: pop-up of call %s for user %s failed", event.get("call_id"), self.user.pk)
            return
        if payload is not None:
            await self.send_json(payload)

    async def call_ringing(self, event: dict[str, Any]) -> None:
        await self._send_call(event, "ringing")

    async def call_answered(self, event: dict[str, Any]) -> None:
        await self._send_call(event, "answered")

    async def call_ended(self, event: dict[str, Any]) -> None:
        await self._send_call(event, "ended")
