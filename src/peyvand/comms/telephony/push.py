"""Telling the agents' browsers about calls through the channel layer: the group names and the messages sent."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

__all__ = ["extension_group", "push_call", "user_group"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]")


def user_group(user_id: int) -> str:
    return f"telephony.user.{int(user_id)}"


def extension_group(account_id: int, extension: str) -> str:
    # Group names allow only a few characters; an extension is digits in practice, anything else is dropped.
    return f"telephony.ext.{int(account_id)}.{_UNSAFE.sub('', extension)[:32]}"


def push_call(*, kind: str, call_id: int, groups: Iterable[str]) -> None:
    """Send "call.<kind>" naming the call to each group; each consumer reads the call with its own user's scope,
    so what a browser is shown is never decided here. A layer that is down loses a pop-up, not the call."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": f"call.{kind}", "call_id": call_id}
    for group in dict.fromkeys(groups):
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # the call is recorded already; a pop-up is best effort
            logger.exception("telephony: could not push %s of call %s to %s", kind, call_id, group)
