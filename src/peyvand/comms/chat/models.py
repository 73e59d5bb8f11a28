"""The records of live chat: the widgets sites embed, the conversations held through them and their messages."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel

__all__ = ["CannedReply", "ChatAgentPresence", "ChatAuthor", "ChatMessage", "ChatSession", "ChatStatus", "ChatWidget"]


def new_public_key() -> str:
    return secrets.token_urlsafe(18)


class ChatWidget(TimeStampedModel):
    """One embeddable chat box: the script tag names it by `public_key`; a visitor's socket is accepted only
    from a page whose origin is in `allowed_origins`; its conversations go to `team`."""

    name = models.CharField(_("name"), max_length=100)
    public_key = models.CharField(_("public key"), max_length=40, unique=True, default=new_public_key)
    # Origins such as "https://shop.example.ir" (scheme, host and port; no path).
    allowed_origins = models.JSONField(_("allowed origins"), default=list, blank=True)
    greeting_fa = models.CharField(_("greeting (Persian)"), max_length=300, blank=True)
    greeting_en = models.CharField(_("greeting (English)"), max_length=300, blank=True)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="chat_widgets"
    )
    offline_form = models.BooleanField(_("offline form"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ChatStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class ChatSession(TimeStampedModel):
    """One conversation of a visitor through a widget. `visitor_id` is the random id the widget keeps in the
    visitor's browser: it is how a reconnecting visitor finds their open conversation again."""

    widget = models.ForeignKey(ChatWidget, verbose_name=_("widget"), on_delete=models.PROTECT, related_name="sessions")
    visitor_id = models.CharField(max_length=64)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_sessions",
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=ChatStatus.choices, default=ChatStatus.WAITING)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_sessions",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="chat_sessions"
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    origin_page = models.CharField(_("page"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    language = models.CharField(max_length=8, default="fa")
    # The transcript on the customer's timeline, written when the chat closes (identified visitors only).
    interaction = models.ForeignKey(
        "customers.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The ticket an offline message became.
    ticket = models.ForeignKey(
        "service.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["status", "team"], name="chat_queue"),
            models.Index(fields=["widget", "visitor_id", "status"], name="chat_visitor"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"#{self.pk}"


class ChatAuthor(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class ChatMessage(TimeStampedModel):
    """One line of a conversation. `client_id` is the id the visitor's browser gave it: a message resent after
    a reconnect is answered with the stored one, not written twice."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(_("author"), max_length=8, choices=ChatAuthor.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("text"))
    client_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client_id"], condition=~Q(client_id=""), name="chat_message_once"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class ChatAgentPresence(models.Model):
    """An agent's open console socket: whether anyone is there to answer (else the widget offers the offline
    form). Kept in the database so that every server process sees the same agents; a row whose `seen_at` is
    old is a socket that died without closing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.channel_name


class CannedReply(TimeStampedModel):
    """A saved answer agents put into a chat reply from the console's picker: for one team (and the teams under
    it) or, without a team, for everyone."""

    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    # A team's replies go when the team does; none becomes everyone's by accident.
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        help_text=_("Empty: every agent may use it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # Title and text as search keys (core.text.search_key), what the picker's search compares against.
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title
