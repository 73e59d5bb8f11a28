"""Reads of telephony: the calls a user may see, what an agent's pop-up shows of a call, and the routing hint the
PBX's dial plan asks for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.comms.models import ChannelAccount
from peyvand.comms.telephony.models import Call, CallDirection, CallStatus, Extension
from peyvand.comms.telephony.numbers import read_number
from peyvand.core.pagination import Page, paginate
from peyvand.core.phone import format_phone
from peyvand.core.text import normalize_digits
from peyvand.customers.models import Customer, CustomerPhone, Interaction
from peyvand.customers.selectors import customer_lookup_by_phone, scope_branches
from peyvand.service.models import OPEN_STATUSES
from peyvand.service.selectors import tickets_visible_to

__all__ = ["CallFilters", "RouteHint", "call_get", "call_list", "calls_visible_to", "popup_payload", "route_hint"]

POPUP_TICKETS = 5
POPUP_INTERACTIONS = 5
POPUP_MATCHES = 3


def calls_visible_to(user: User | Any) -> QuerySet[Call]:
    """An administrator sees every call; others the calls they took, their team's and their own customers'."""
    branches = scope_branches(user)
    if not branches:
        return Call.objects.none()
    scope = Q()
    for branch in branches:
        if not branch:
            return Call.objects.all()
        if "owner_id" in branch:
            scope |= Q(agent_id=branch["owner_id"]) | Q(customer__owner_id=branch["owner_id"])
        if "team_id" in branch:
            scope |= Q(team_id=branch["team_id"]) | Q(agent__team_id=branch["team_id"])
    return Call.objects.filter(scope)


def call_get(*, user: User, pk: int) -> Call:
    """One visible call or Call.DoesNotExist, whether it is missing or someone else's."""
    return calls_visible_to(user).select_related("customer", "agent", "account").get(pk=pk)


@dataclass(frozen=True)
class CallFilters:
    direction: str = ""
    status: str = ""
    agent_id: int | None = None
    customer_id: int | None = None
    number: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def where(self) -> Q:
        where = Q()
        if self.direction in CallDirection.values:
            where &= Q(direction=self.direction)
        if self.status in CallStatus.values:
            where &= Q(status=self.status)
        if self.agent_id:
            where &= Q(agent_id=self.agent_id)
        if self.customer_id:
            where &= Q(customer_id=self.customer_id)
        if self.number.strip():
            e164, raw = read_number(self.number)
            if e164:
                where &= Q(from_number=e164) | Q(to_number=e164)
            else:
                digits = normalize_digits(raw)
                where &= Q(from_raw__contains=digits) | Q(to_raw__contains=digits) | Q(extension=digits)
        if self.since:
            where &= Q(started_at__gte=self.since)
        if self.until:
            where &= Q(started_at__lt=self.until)
        return where


def call_list(*, user: User, filters: CallFilters, cursor: str | None = None, limit: int = 50) -> Page:
    calls = calls_visible_to(user).filter(filters.where()).select_related("customer", "agent")
    return paginate(calls, order=("-started_at", "-id"), cursor=cursor, limit=limit)


def _customer_card(user: User, customer_id: int) -> dict[str, Any] | None:
    customer = Customer.objects.filter(pk=customer_id).select_related("owner", "team").first()
    if customer is None:
        return None
    tickets = (
        tickets_visible_to(user)
        .filter(customer_id=customer.pk, status__in=OPEN_STATUSES)
        .order_by("-id")[:POPUP_TICKETS]
    )
    interactions = Interaction.objects.filter(customer_id=customer.pk).order_by("-occurred_at", "-id")[
        :POPUP_INTERACTIONS
    ]
    return {
        "id": customer.pk,
        "name": customer.display_name,
        "url": reverse("customers:detail", args=[customer.pk]),
        "tier": customer.get_tier_display() if customer.tier else "",
        "stage": customer.get_lifecycle_stage_display(),
        "owner": str(customer.owner) if customer.owner else "",
        "team": customer.team.name if customer.team else "",
        "tickets": [
            {
                "number": t.number,
                "subject": t.subject,
                "status": t.get_status_display(),
                "url": reverse("service:ticket_detail", args=[t.pk]),
            }
            for t in tickets
        ],
        "interactions": [
            {
                "channel": i.get_channel_display(),
                "subject": i.subject or i.body[:80],
                "at": timezone.localtime(i.occurred_at).isoformat(),
            }
            for i in interactions
        ],
    }


def popup_payload(*, call_id: int, user: User, kind: str = "ringing") -> dict[str, Any] | None:
    """What `user`'s pop-up shows of a call: the caller's visible customers (profile, open tickets, last
    interactions), "not in your customers" when the number is someone else's, or a link to create the customer.
    None when the call is gone."""
    call = Call.objects.filter(pk=call_id).select_related("agent").first()
    if call is None:
        return None
    number = call.to_number if call.direction == CallDirection.OUTBOUND else call.from_number
    raw = call.to_raw if call.direction == CallDirection.OUTBOUND else call.from_raw
    matches = customer_lookup_by_phone(user=user, phone=number, limit=POPUP_MATCHES) if number else []
    cards = [card for m in matches if (card := _customer_card(user, m.id)) is not None]
    known_elsewhere = (
        bool(number)
        and not cards
        and CustomerPhone.objects.filter(number=number, customer__deleted_at__isnull=True).exists()
    )
    create_url = ""
    if number and not cards and not known_elsewhere:
        create_url = reverse("comms:telephony:new_customer", args=[call.pk])
    return {
        "kind": kind,
        "call_id": call.pk,
        "direction": call.direction,
        "status": call.status,
        "status_label": call.get_status_display(),
        "number": format_phone(number) if number else raw,
        "number_e164": number,
        "extension": call.extension,
        "agent": str(call.agent) if call.agent else "",
        "customers": cards,
        "not_yours": known_elsewhere,
        "create_url": create_url,
        "log_url": reverse("comms:telephony:calls") + "?" + urlencode({"number": number or raw}),
    }


@dataclass(frozen=True)
class RouteHint:
    """Where the dial plan should send a caller: an extension, a queue, or the PBX's fallback ("" for none)."""

    target: str
    kind: str  # "extension" | "queue" | "fallback" | "none"
    reason: str  # "account_manager" | "team" | "unknown_caller"


def route_hint(*, account: ChannelAccount, number: str) -> RouteHint:
    """The caller's account manager's extension, else their team's queue, else the PBX's fallback. Read on every
    inbound call before it rings, so: one indexed join to find the customer, one look-up for the extension."""
    config = account.config or {}
    fallback = str(config.get("fallback") or "")
    e164, _raw = read_number(number)
    none = RouteHint(fallback, "fallback" if fallback else "none", "unknown_caller")
    if not e164:
        return none
    row = (
        CustomerPhone.objects.filter(number=e164, customer__deleted_at__isnull=True)
        .order_by("customer_id")
        .values("customer__owner_id", "customer__owner__extension", "customer__owner__is_active", "customer__team_id")
        .first()
    )
    if row is None:
        return none
    owner_id = row["customer__owner_id"]
    if owner_id and row["customer__owner__is_active"]:
        extension = (
            Extension.objects.filter(account=account, user_id=owner_id).values_list("number", flat=True).first()
            or row["customer__owner__extension"]
        )
        if extension:
            return RouteHint(extension, "extension", "account_manager")
    queues = config.get("team_queues") or {}
    team_id = row["customer__team_id"]
    if isinstance(queues, dict) and team_id is not None and queues.get(str(team_id)):
        return RouteHint(str(queues[str(team_id)]), "queue", "team")
    return RouteHint(fallback, "fallback" if fallback else "none", "team" if team_id else "unknown_caller")
