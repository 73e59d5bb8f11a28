"""Renewing contracts, by hand or automatically at their end, and the background work of renewal reminders and
expiry."""

from __future__ import annotations

import datetime as dt
import logging

import jdatetime
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, Team, User
from peyvand.core.jalali import JalaliMonth, add_months, format_date
from peyvand.sales.models import Contract, ContractStatus
from peyvand.sales.services._common import Errors, check_money, clean_date
from peyvand.sales.services.contracts.common import (
    RENEWABLE,
    check_term,
    locked,
    require_visible,
    term_text,
    write_timeline,
)
from peyvand.sales.services.numbering import next_number

logger = logging.getLogger(__name__)


def renewal_term(contract: Contract, start: dt.date) -> dt.date:
    """The end of a renewal starting on `start`, as long as the contract it renews. A term of whole Jalali months
    (1 Farvardin to the end of Esfand, 15 Mehr to 14 Dey) is renewed by months, so a year stays a year across a
    leap year; any other term by its number of days."""
    old_start = jdatetime.date.fromgregorian(date=contract.start_date)
    day_after = jdatetime.date.fromgregorian(date=contract.end_date + dt.timedelta(days=1))
    months = JalaliMonth(day_after.year, day_after.month).months_since(JalaliMonth(old_start.year, old_start.month))
    if months > 0 and day_after.day == old_start.day:
        return add_months(start, months) - dt.timedelta(days=1)
    return start + (contract.end_date - contract.start_date)


def _renew(
    contract: Contract,
    *,
    by: User | None,
    start_date: dt.date | None,
    end_date: dt.date | None,
    value: int | None,
) -> Contract:
    start = start_date or contract.end_date + dt.timedelta(days=1)
    end = end_date or renewal_term(contract, start)
    renewal = Contract.objects.create(
        number=next_number("contract"),
        title=contract.title,
        customer=contract.customer,
        deal=contract.deal,
        status=ContractStatus.ACTIVE,
        start_date=start,
        end_date=end,
        value=contract.value if value is None else value,
        currency=contract.currency,
        auto_renew=contract.auto_renew,
        renewal_notice_days=contract.renewal_notice_days,
        renewed_from=contract,
        terms=contract.terms,
        owner_id=contract.owner_id,
        team_id=contract.team_id,
        created_by=by,
    )
    contract.status = ContractStatus.RENEWED
    contract.save(update_fields=["status", "updated_at"])
    write_timeline(
        renewal,
        by=by,
        subject=_("Contract %(old)s renewed as %(new)s: %(title)s")
        % {"old": contract.number, "new": renewal.number, "title": renewal.title},
        body=term_text(renewal),
    )
    return renewal


@transaction.atomic
def contract_renew(
    *,
    contract: Contract,
    by: User,
    start_date: dt.date | str | None = None,
    end_date: dt.date | str | None = None,
    value: int | None = None,
) -> Contract:
    """Renew an active or expired contract: a new active contract that `renewed_from` it, by default from the
    day after it ends, for as long, at the same value; the old one becomes `renewed`."""
    require_visible(contract, by)
    contract = locked(contract)
    errors = Errors()
    if contract.status not in RENEWABLE:
        errors.add("status", _("Only an active or expired contract can be renewed."))
    elif Contract.objects.filter(renewed_from=contract).exists():
        errors.add("status", _("This contract has been renewed already."))
    start = clean_date(start_date, errors, "start_date")
    end = clean_date(end_date, errors, "end_date")
    if start is not None and start <= contract.start_date and "status" not in errors.fields:
        errors.add("start_date", _("A renewal starts after the contract it renews has started."))
    if end is not None:
        check_term(start or contract.end_date + dt.timedelta(days=1), end, errors)
    amount = check_money(value, field="value", errors=errors) if value is not None else None
    errors.raise_if_any()
    return _renew(contract, by=by, start_date=start, end_date=end, value=amount)


# --- background work --------------------------------------------------------------------------------------


def _managers_of(team: Team | None) -> list[User]:
    """The managers of `team`, or of the nearest team above it that has any."""
    if team is None:
        return []
    ancestors = [int(pk) for pk in team.path.strip("/").split("/") if pk.isdigit()][::-1] or [team.pk]
    managers = list(User.objects.filter(team_id__in=ancestors, role=Role.MANAGER, is_active=True))
    for team_id in ancestors:
        found = [m for m in managers if m.team_id == team_id]
        if found:
            return found
    return []


def contract_renewals_remind(*, now: dt.datetime | None = None) -> int:
    """Remind the owner (or, without one, the team's managers) of each active contract whose end is within its
    renewal notice and that has not been reminded yet; returns how many contracts were reminded.

    Each contract is claimed by a conditional UPDATE before its notice is written, so two workers running at
    once never remind twice.
    """
    moment = now or timezone.now()
    today = timezone.localtime(moment).date()
    pending = Contract.objects.filter(
        status=ContractStatus.ACTIVE, renewal_reminded_at__isnull=True, end_date__gte=today
    )
    due = Q()
    # One condition per notice length in use (a handful): end_date ≤ today + notice, portable to any database.
    for days in pending.order_by().values_list("renewal_notice_days", flat=True).distinct():
        due |= Q(renewal_notice_days=days, end_date__lte=today + dt.timedelta(days=days))
    if not due:
        return 0
    reminded = 0
    for contract in pending.filter(due).select_related("customer", "owner", "team").order_by("end_date", "id"):
        with transaction.atomic():
            claimed = Contract.objects.filter(pk=contract.pk, renewal_reminded_at__isnull=True).update(
                renewal_reminded_at=moment, updated_at=moment
            )
            if not claimed:
                continue
            owner = contract.owner if contract.owner is not None and contract.owner.is_active else None
            people = [owner] if owner is not None else _managers_of(contract.team)
            _notify_renewal(contract, people, today)
            reminded += 1
    return reminded


def _notify_renewal(contract: Contract, people: list[User], today: dt.date) -> None:
    from peyvand.accounts.services import notify_user  # the accounts app's notices; imported where used

    days = (contract.end_date - today).days
    url = reverse("sales:contract_detail", args=[contract.pk])
    # The worker has no request: the notice is written in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Contract %(number)s with %(customer)s ends in %(days)d days") % {
            "number": contract.number,
            "customer": contract.customer.display_name,
            "days": days,
        }
        body = _("“%(title)s” ends on %(end)s. Talk to the customer about renewing it.") % {
            "title": contract.title,
            "end": format_date(contract.end_date),
        }
        if contract.auto_renew:
            body += " " + _("It renews automatically unless it is terminated before then.")
        for person in people:
            notify_user(user=person, kind="contract_renewal", title=title, body=body, url=url, email=True)
    if not people:
        logger.warning("Contract %s is due for renewal but has no owner or team manager to remind", contract.pk)


def contracts_expire(*, today: dt.date | None = None) -> int:
    """Active contracts past their end date expire, or, when they renew automatically, are renewed (again, if
    the worker was down for longer than a term); returns how many contracts were expired or renewed."""
    day = today or timezone.localdate()
    changed = 0
    for contract in Contract.objects.filter(status=ContractStatus.ACTIVE, end_date__lt=day).order_by("id"):
        with transaction.atomic():
            current = Contract.objects.select_for_update(of=("self",)).select_related("customer").get(pk=contract.pk)
            if current.status != ContractStatus.ACTIVE or current.end_date >= day:
                continue  # someone else got to it first
            if not current.auto_renew:
                written = Contract.objects.filter(pk=current.pk, status=ContractStatus.ACTIVE).update(
                    status=ContractStatus.EXPIRED, updated_at=timezone.now()
                )
                if written:
                    changed += 1
                    with translation.override(settings.LANGUAGE_CODE):
                        write_timeline(
                            current,
                            by=None,
                            subject=_("Contract expired: %(number)s %(title)s")
                            % {"number": current.number, "title": current.title},
                        )
                continue
            with translation.override(settings.LANGUAGE_CODE):
                renewal = _renew(current, by=None, start_date=None, end_date=None, value=None)
                changed += 1
                # A long outage: keep renewing until the current term covers today (bounded, whatever the term).
                for _step in range(100):
                    if renewal.end_date >= day:
                        break
                    renewal = _renew(renewal, by=None, start_date=None, end_date=None, value=None)
                    changed += 1
    return changed
