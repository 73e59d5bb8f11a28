"""Where an SMS to a customer goes: a small interface with a console backend (logged), chosen by the setting
PEYVAND_SMS_BACKEND, until the channels module brings the real gateways."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

__all__ = ["ConsoleSmsBackend", "SmsBackend", "sms_backend"]

logger = logging.getLogger("peyvand.sms")


class SmsBackend(Protocol):
    # What CustomerNotification.channel records for a message this backend handled ("sms" for a real gateway).
    channel: str

    def send(self, *, to: str, text: str) -> None:
        """Send `text` to the E.164 number `to`; raise on failure (the caller records the error)."""


class ConsoleSmsBackend:
    """Writes the message to the log instead of sending it: the default, so that nothing leaves a test or a
    demo machine, and the record says "console" so nobody mistakes it for a delivered SMS."""

    channel = "console"

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


def sms_backend() -> SmsBackend:
    """The backend PEYVAND_SMS_BACKEND names: "console" (the default) or the dotted path of a class with a
    `send(*, to, text)` method and a `channel` attribute."""
    name = str(getattr(settings, "PEYVAND_SMS_BACKEND", "console") or "console")
    if name == "console":
        return ConsoleSmsBackend()
    try:
        backend_class = import_string(name)
    except ImportError as exc:
        raise ImproperlyConfigured(f"PEYVAND_SMS_BACKEND: cannot import {name!r}") from exc
    backend: SmsBackend = backend_class()
    return backend
