"""Reminders the worker sends: activities coming due, deals whose next step is overdue, contracts to renew.

Each reminder is sent once, however many workers run: a row is claimed with a conditional UPDATE (… WHERE
reminded_at IS NULL) before its notice is written, and only the worker whose UPDATE changed the row sends it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.accounts.services import notify_user
from peyvand.core.jalali import format_datetime
from peyvand.sales.models import Activity, ActivityStatus, Deal, StageOutcome
from peyvand.sales.services.contracts import contract_renewals_remind, contracts_expire

logger = logging.getLogger(__name__)

# A reminder more than this late (the worker was stopped, or the activity was planned after its reminder
# time had passed) is no longer sent: the agenda shows the activity as due or overdue instead.
STALE_AFTER = timedelta(hours=12)
# Rows handled per run; the next run, a minute later, takes the rest.
BATCH = 500


def _activity_reminders(now: datetime) -> int:
    due = (
        Activity.objects.filter(
            reminded_at__isnull=True,
            remind_at__lte=now,
            remind_at__gt=now - STALE_AFTER,
            status=ActivityStatus.PLANNED,
        )
        # An activity of a deleted customer is gone with it.
        .filter(Q(customer__isnull=True) | Q(customer__deleted_at__isnull=True))
        .order_by("remind_at", "id")
        .values_list("pk", flat=True)[:BATCH]
    )
    sent = 0
    for pk in list(due):
        claimed = Activity.objects.filter(pk=pk, reminded_at__isnull=True, status=ActivityStatus.PLANNED).update(
            reminded_at=now
        )
        if claimed != 1:
            continue  # another worker has it
        activity = Activity.objects.select_related("assigned_to", "customer", "deal").get(pk=pk)
        assignee: User = activity.assigned_to
        if not assignee.is_active:
            continue
        about = activity.customer.display_name if activity.customer is not None else ""
        lines = [
            _("%(kind)s due at %(when)s")
            % {"kind": activity.get_kind_display(), "when": format_datetime(activity.due_at)}
        ]
        if about:
            lines.append(_("Customer: %(name)s") % {"name": about})
        if activity.location:
            lines.append(_("Place: %(place)s") % {"place": activity.location})
        if activity.notes:
            lines.append(activity.notes[:1000])
        notify_user(
            user=assignee,
            kind="activity_reminder",
            title=_("Reminder: %(subject)s") % {"subject": activity.subject},
            body="\n".join(lines),
            url=reverse("sales:activity_detail", args=[activity.pk]),
            email=True,
        )
        sent += 1
    return sent


def _next_step_reminders(now: datetime) -> int:
    due = (
        Deal.objects.filter(
            next_step_reminded_at__isnull=True,
            next_step_due_at__lt=now,
            stage__outcome=StageOutcome.OPEN,
            owner__isnull=False,
            customer__deleted_at__isnull=True,
        )
        .order_by("next_step_due_at", "id")
        .values_list("pk", flat=True)[:BATCH]
    )
    sent = 0
    for pk in list(due):
        # The update does not touch `version`: a reminder is not an edit, and must not make an open form stale.
        claimed = Deal.objects.filter(pk=pk, next_step_reminded_at__isnull=True).update(next_step_reminded_at=now)
        if claimed != 1:
            continue
        deal = Deal.objects.select_related("owner", "customer").get(pk=pk)
        owner = deal.owner
        if owner is None or not owner.is_active:
            continue
        step = deal.next_step or _("(no next step written)")
        notify_user(
            user=owner,
            kind="deal_next_step_overdue",
            title=_("Overdue next step: %(title)s") % {"title": deal.title},
            body=_("%(step)s, due at %(when)s. Customer: %(customer)s")
            % {"step": step, "when": format_datetime(deal.next_step_due_at), "customer": deal.customer.display_name},
            url=reverse("sales:deal_detail", args=[deal.pk]),
            email=True,
        )
        sent += 1
    return sent


def _contract_reminders(now: datetime) -> dict[str, int]:
    """Renewal reminders and expiry (or automatic renewal) of contracts, which the contracts module keeps."""
    return {
        "contract_renewals": contract_renewals_remind(now=now),
        "contracts_expired": contracts_expire(today=timezone.localtime(now).date()),
    }


def reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """Send every reminder that is due at `now` (default: now) and not yet sent; returns how many of each.

    Written in the site's language (the notices are stored as text), and each kind is guarded on its own so
    that a failure in one (logged) does not hold back the others.
    """
    now = now or timezone.now()
    counts = {"activities": 0, "deal_next_steps": 0, "contract_renewals": 0, "contracts_expired": 0}
    with translation.override(settings.LANGUAGE_CODE):
        for key, send in (("activities", _activity_reminders), ("deal_next_steps", _next_step_reminders)):
            try:
                counts[key] = send(now)
            except Exception:
                logger.exception("Sending %s reminders failed", key)
        try:
            counts.update(_contract_reminders(now))
        except Exception:
            logger.exception("Sending contract reminders failed")
    return counts
