"""Automation: rules run when something happens to a ticket (event → conditions → actions), as background
tasks, every run logged. OWNED BY THE AUTOMATION WORK: the interface below is fixed, the body is to be completed."""

from __future__ import annotations

from typing import Any

from peyvand.service.models import Ticket


def automation_fire(event: str, ticket: Ticket, *, data: dict[str, Any] | None = None) -> None:
    """Say that `event` (AutomationEvent) happened to `ticket`: the active rules for it run after the current
    transaction commits, in a background task."""
