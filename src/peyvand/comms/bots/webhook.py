"""A bot's webhook: pointing the messenger's updates at this site (or back to polling), and what the messenger
says about it (getWebhookInfo) for the bot's webhook page."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from peyvand.comms.bots.models import BotState
from peyvand.comms.bots.telegram import BotApi, bot_class
from peyvand.comms.models import ChannelAccount

__all__ = ["WebhookInfo", "bot_set_webhook", "bot_webhook_info", "webhook_url_for"]


@dataclass(frozen=True)
class WebhookInfo:
    """What getWebhookInfo answered: `url` empty while the bot is polled."""

    url: str
    pending_update_count: int
    last_error_at: dt.datetime | None
    last_error_message: str
    max_connections: int | None
    ours: bool  # the webhook points at this site's address for the bot


def webhook_url_for(account: ChannelAccount, site_url: str = "") -> str:
    """This site's webhook address for the bot; ValidationError when the site's address is not set."""
    base = (site_url or str(getattr(settings, "PEYVAND_SITE_URL", "") or "")).rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ValidationError({"site_url": [_("Set the site's public address (PEYVAND_SITE_URL) first.")]})
    return base + reverse("comms:bots:update", kwargs={"token": account.inbound_token})


def bot_webhook_info(*, account: ChannelAccount) -> WebhookInfo:
    """Ask the messenger about the bot's webhook (TemporaryError or PermanentError when it does not answer)."""
    answer = BotApi.for_account(account).get_webhook_info()
    url = str(answer.get("url") or "")
    error_date = answer.get("last_error_date")
    pending = answer.get("pending_update_count")
    connections = answer.get("max_connections")
    try:
        ours = bool(url) and url == webhook_url_for(account)
    except ValidationError:
        ours = False
    return WebhookInfo(
        url=url,
        pending_update_count=pending if isinstance(pending, int) else 0,
        last_error_at=(
            dt.datetime.fromtimestamp(error_date, tz=dt.UTC)
            if isinstance(error_date, int) and 0 < error_date < 2**33
            else None
        ),
        last_error_message=str(answer.get("last_error_message") or "")[:500],
        max_connections=connections if isinstance(connections, int) else None,
        ours=ours,
    )


def bot_set_webhook(*, account: ChannelAccount, site_url: str = "", remove: bool = False) -> str:
    """Point the bot's updates at this site (`{site_url}/comms/bots/<secret>/update`, with a webhook secret the
    messenger sends back when it can), or with `remove` stop the webhook and go back to polling. Returns the
    address set ("" when removed). Raises ValidationError when there is no site address, TemporaryError or
    PermanentError when the messenger refuses."""

    api = BotApi.for_account(account)
    config = dict(account.config or {})
    state, _created = BotState.objects.get_or_create(account=account)
    if remove:
        api.delete_webhook()
        config["receive"], state.webhook_url = "polling", ""
    else:
        url = webhook_url_for(account, site_url)
        secret = ""
        if bot_class(account).secret_header:
            account_secrets = dict(account.secrets or {})
            secret = str(account_secrets.get("webhook_secret") or "")
            if not secret:
                secret = account_secrets["webhook_secret"] = secrets.token_urlsafe(32)
                account.secrets = account_secrets
                account.save(update_fields=["secrets", "updated_at"])
        api.set_webhook(url=url, secret_token=secret)
        config["receive"], state.webhook_url = "webhook", url
    account.config = config
    account.save(update_fields=["config", "updated_at"])
    state.save(update_fields=["webhook_url", "updated_at"])
    return state.webhook_url
