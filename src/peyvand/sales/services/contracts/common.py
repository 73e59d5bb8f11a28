"""What every write to a contract shares: the scope check, the row lock, the term check and the timeline entry."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.jalali import format_date
from peyvand.core.money import format_money
from peyvand.customers.models import Direction, InteractionChannel
from peyvand.customers.services import interaction_create
from peyvand.sales.contract_selectors import contracts_visible_to
from peyvand.sales.models import Contract, ContractStatus
from peyvand.sales.services._common import Errors

# A contract that ended, was terminated or renewed is a record of what was agreed: it is no longer edited.
EDITABLE = (ContractStatus.DRAFT, ContractStatus.ACTIVE)
RENEWABLE = (ContractStatus.ACTIVE, ContractStatus.EXPIRED)


def require_visible(contract: Contract, by: User) -> None:
    if not contracts_visible_to(by).filter(pk=contract.pk).exists():
        raise Contract.DoesNotExist


def write_timeline(contract: Contract, *, by: User | None, subject: str, body: str = "") -> None:
    """Contract milestones go on the customer's one timeline, linked to the contract. The caller's right to the
    contract was checked already (or it is the background work, which has no caller)."""
    interaction_create(
        customer=contract.customer,
        by=by,
        channel=InteractionChannel.SYSTEM,
        direction=Direction.INTERNAL,
        subject=subject,
        body=body,
        related=contract,
        check_visible=False,
    )


def term_text(contract: Contract) -> str:
    return _("From %(start)s to %(end)s. Value: %(value)s.") % {
        "start": format_date(contract.start_date),
        "end": format_date(contract.end_date),
        "value": format_money(contract.value),
    }


def check_term(start: dt.date | None, end: dt.date | None, errors: Errors) -> None:
    if start is not None and end is not None and end < start:
        errors.add("end_date", _("The contract cannot end before it starts."))


def locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update(of=("self",)).select_related("customer").get(pk=contract.pk)
