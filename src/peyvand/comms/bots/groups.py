"""Messages in group chats: which ones are meant for the bot (they mention it, reply to it, or give it a
command), and how they read on a ticket. The others are kept as ignored with the reason `group_chat`."""

from __future__ import annotations

import re
from typing import Any

from peyvand.comms.bots.telegram import BotApi
from peyvand.comms.models import ChannelAccount

__all__ = ["GROUP_CHAT", "GROUP_TYPES", "addressed_to_bot", "group_text", "is_group"]

# The reason an unaddressed group message is kept without being handled (InboundMessage.error).
GROUP_CHAT = "group_chat"
GROUP_TYPES = ("group", "supergroup")


def is_group(chat: dict[str, Any]) -> bool:
    return chat.get("type") in GROUP_TYPES


def _username(account: ChannelAccount) -> str:
    return str((account.config or {}).get("bot_username") or "").strip().lstrip("@").lower()


def addressed_to_bot(account: ChannelAccount, message: dict[str, Any]) -> bool:
    """A group message is for the bot when it mentions @the_bot, is a command to it (/help@the_bot), or replies
    to one of the bot's messages."""
    username = _username(account)
    text = str(message.get("text") or message.get("caption") or "")
    if username and re.search(rf"@{re.escape(username)}\b", text, flags=re.IGNORECASE):
        return True
    replied = message.get("reply_to_message")
    author = replied.get("from") if isinstance(replied, dict) else None
    if isinstance(author, dict) and author.get("is_bot"):
        bot_id = BotApi.for_account(account).bot_id
        if (bot_id and str(author.get("id")) == bot_id) or (
            username and str(author.get("username") or "").lower() == username
        ):
            return True
    return False


def group_text(account: ChannelAccount, message: dict[str, Any], text: str) -> str:
    """What a group message says, without the mention of the bot, under the writer's name (several people write
    in one group)."""
    username = _username(account)
    if username:
        text = re.sub(rf"@{re.escape(username)}\b", "", text, flags=re.IGNORECASE).strip() or text
    sender: dict[str, Any] = message["from"] if isinstance(message.get("from"), dict) else {}
    names = [str(sender.get(k) or "").strip() for k in ("first_name", "last_name")]
    name = " ".join(n for n in names if n) or (f"@{sender['username']}" if sender.get("username") else "")
    return f"{name}: {text}" if name else text
