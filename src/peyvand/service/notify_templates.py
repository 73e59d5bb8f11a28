"""The default texts of the messages customers get about their tickets, in Persian and English, and their
rendering: placeholders filled from the ticket, a line whose placeholder has nothing to say left out."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LANGUAGES", "TEXTS", "Rendered", "render_text"]

LANGUAGES = ("fa", "en")

# Placeholders: {name} the customer, {number} the ticket's number, {subject}, {status}, {agent} the assignee,
# {link}; and whatever the caller passes in `extra` ({reply} the answer's text, {link} a survey link …).
# Each text is (subject, body); the body's lines are kept only when all their placeholders have a value.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "ticket_received": {
        "fa": (
            "درخواست شما با شماره {number} ثبت شد",
            "{name} گرامی،\n"
            "درخواست شما با موضوع «{subject}» با شماره‌ی پیگیری {number} ثبت شد و به‌زودی بررسی می‌شود.\n"
            "پیگیری: {link}",
        ),
        "en": (
            "We received your request {number}",
            "Dear {name},\n"
            "We received your request “{subject}” under the number {number} and will look at it soon.\n"
            "Follow it: {link}",
        ),
    },
    "ticket_assigned": {
        "fa": (
            "درخواست {number} در حال بررسی است",
            "{name} گرامی،\n"
            "درخواست شما با شماره‌ی {number} («{subject}») به {agent} سپرده شد و در حال بررسی است.\n"
            "پیگیری: {link}",
        ),
        "en": (
            "Your request {number} is being handled",
            "Dear {name},\nYour request {number} (“{subject}”) is now with {agent}.\nFollow it: {link}",
        ),
    },
    "ticket_answered": {
        "fa": (
            "پاسخ به درخواست {number}",
            "{name} گرامی،\nبه درخواست شما با شماره‌ی {number} («{subject}») پاسخ داده شد:\n{reply}\nپیگیری: {link}",
        ),
        "en": (
            "An answer to your request {number}",
            "Dear {name},\nYour request {number} (“{subject}”) has been answered:\n{reply}\nFollow it: {link}",
        ),
    },
    "ticket_waiting": {
        "fa": (
            "درخواست {number} منتظر پاسخ شماست",
            "{name} گرامی،\n"
            "برای ادامه‌ی رسیدگی به درخواست {number} («{subject}») به پاسخ شما نیاز داریم.\n"
            "{reply}\n"
            "پاسخ: {link}",
        ),
        "en": (
            "Your request {number} is waiting for you",
            "Dear {name},\nTo go on with your request {number} (“{subject}”) we need your answer.\n{reply}\n"
            "Answer: {link}",
        ),
    },
    "ticket_resolved": {
        "fa": (
            "درخواست {number} حل شد",
            "{name} گرامی،\n"
            "درخواست شما با شماره‌ی {number} («{subject}») حل شد. اگر مشکل هنوز هست، به همین پیام پاسخ دهید.\n"
            "{link}",
        ),
        "en": (
            "Your request {number} is resolved",
            "Dear {name},\nYour request {number} (“{subject}”) is resolved. If the problem is still there, "
            "answer this message.\n{link}",
        ),
    },
    "ticket_satisfaction": {
        "fa": (
            "نظر شما درباره‌ی رسیدگی به درخواست {number}",
            "{name} گرامی،\n"
            "رسیدگی ما به درخواست {number} («{subject}») را چطور ارزیابی می‌کنید؟ پاسخ شما یک دقیقه وقت می‌گیرد:\n"
            "{link}",
        ),
        "en": (
            "How did we do with your request {number}?",
            "Dear {name},\nHow would you rate the way we handled your request {number} (“{subject}”)? "
            "It takes a minute:\n{link}",
        ),
    },
}

# The statuses as the customer reads them; kept with the texts so that a message is complete in both
# languages whatever the site's translations hold.
STATUS_NAMES = {
    "fa": {
        "new": "ثبت‌شده",
        "assigned": "سپرده به کارشناس",
        "in_progress": "در حال بررسی",
        "waiting": "منتظر پاسخ شما",
        "resolved": "حل‌شده",
        "closed": "بسته",
        "reopened": "بازگشایی‌شده",
    },
    "en": {
        "new": "received",
        "assigned": "assigned",
        "in_progress": "in progress",
        "waiting": "waiting for you",
        "resolved": "resolved",
        "closed": "closed",
        "reopened": "reopened",
    },
}

_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _fill(text: str, values: Mapping[str, str]) -> str | None:
    """`text` with its placeholders filled, or None when one of them has no value (the line is left out)."""
    out: list[str] = []
    for literal, field, _spec, _conversion in _FORMATTER.parse(text):
        out.append(literal)
        if field is None:
            continue
        value = values.get(field, "")
        if not value:
            return None
        out.append(value)
    return "".join(out)


def render_text(template: str, language: str, values: Mapping[str, Any]) -> Rendered:
    """The subject and body of `template` in `language` (fa when it has no text in that one). Values are put in
    as text, never read as placeholders themselves, so a customer's subject cannot reach into the template."""
    texts = TEXTS[template]
    subject, body = texts.get(language) or texts["fa"]
    # One line each, except the reply, which keeps its own line breaks.
    strings = {
        key: str(value).strip() if key == "reply" else " ".join(str(value).split())
        for key, value in values.items()
        if value is not None
    }
    lines = [_fill(line, strings) for line in body.split("\n")]
    return Rendered(
        subject=_fill(subject, strings) or "",
        body="\n".join(line for line in lines if line is not None).strip(),
    )
