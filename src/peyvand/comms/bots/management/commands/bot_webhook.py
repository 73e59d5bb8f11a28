"""`peyvand bot_webhook`: point a messenger bot's updates at this site, stop its webhook, or poll it once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.comms.models import Channel, ChannelAccount
from peyvand.comms.providers import PermanentError, TemporaryError


class Command(BaseCommand):
    help = (
        "Set a messenger bot's webhook to this site (PEYVAND_SITE_URL or --site), remove it (--remove: the bot is "
        "polled again), or poll its updates once (--poll). Without an account id, lists the bots."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account", nargs="?", type=int, help="The bot's channel account id.")
        parser.add_argument("--site", default="", help="The site's public https address, if not PEYVAND_SITE_URL.")
        parser.add_argument("--remove", action="store_true", help="Remove the webhook and poll instead.")
        parser.add_argument("--poll", action="store_true", help="Fetch and record the waiting updates once.")

    def handle(self, *args: Any, **options: Any) -> None:
        from peyvand.comms.bots.inbound import bot_poll, bot_set_webhook

        bots = ChannelAccount.objects.filter(channel=Channel.MESSENGER)
        if options["account"] is None:
            for bot in bots.order_by("id"):
                receive = (bot.config or {}).get("receive", "polling")
                self.stdout.write(f"{bot.pk}\t{bot.provider}\t{bot.name}\t{receive}")
            return
        account = bots.filter(pk=options["account"]).first()
        if account is None:
            raise CommandError(f"No messenger bot with the id {options['account']}.")
        try:
            if options["poll"]:
                self.stdout.write(f"{bot_poll(account=account)} new update(s)")
                return
            url = bot_set_webhook(account=account, site_url=options["site"], remove=options["remove"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        except (TemporaryError, PermanentError) as exc:
            raise CommandError(f"The messenger refused: {exc}") from None
        self.stdout.write(f"Webhook set: {url}" if url else "Webhook removed: the bot is polled.")
