"""Demo channels: a console SMS account (so sending works without a gateway), a live-chat widget for the support
team and a contact form that makes leads — what `peyvand seed_demo` adds so that every channel page has
something to show."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.db import transaction

from peyvand.comms.chat.models import ChatWidget
from peyvand.comms.models import Channel, ChannelAccount
from peyvand.comms.webforms.models import WebForm
from peyvand.comms.webforms.services.builder import form_create
from peyvand.customers.demo import DemoStaff

CONTACT_FIELDS = [
    {"key": "first_name", "label_fa": "نام", "label_en": "First name", "type": "text", "maps_to": "first_name",
     "required": True},
    {"key": "last_name", "label_fa": "نام خانوادگی", "label_en": "Last name", "type": "text", "maps_to": "last_name"},
    {"key": "mobile", "label_fa": "موبایل", "label_en": "Mobile", "type": "phone", "maps_to": "phone",
     "required": True},
    {"key": "email", "label_fa": "ایمیل", "label_en": "E-mail", "type": "email", "maps_to": "email"},
    {"key": "message", "label_fa": "پیام شما", "label_en": "Your message", "type": "textarea", "maps_to": "message"},
]  # fmt: skip


def seed_channels(*, staff: DemoStaff, note: Callable[[str], None] | None = None) -> bool:
    """Create the demo's channel set-up once; False when channel accounts exist already."""
    if ChannelAccount.objects.exists() or ChatWidget.objects.exists() or WebForm.objects.exists():
        return False
    with transaction.atomic():
        ChannelAccount.objects.create(
            channel=Channel.SMS,
            provider="console",
            name="پیامک آزمایشی (فقط گزارش)",
            inbound_token=secrets.token_urlsafe(32),
            is_default=True,
        )
        ChatWidget.objects.create(
            name="گفت‌وگوی سایت",
            team=staff.teams["support"],
            greeting_fa="سلام! چطور می‌توانیم کمکتان کنیم؟",
            greeting_en="Hello! How can we help?",
        )
        form_create(
            by=staff.users["admin"],
            data={
                "name": "تماس با ما",
                "title_fa": "با ما در تماس باشید",
                "title_en": "Contact us",
                "fields": CONTACT_FIELDS,
                "action": "lead",
                "lead_team_id": staff.teams["tehran"].pk,
                "success_fa": "سپاس! کارشناسان ما به زودی با شما تماس می‌گیرند.",
                "success_en": "Thank you! We will call you soon.",
            },
        )
    if note:
        note("channels: a console SMS account, a chat widget and a contact form")
    return True
