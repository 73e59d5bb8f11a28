"""Reads of leads: scoped to what the caller may see (the sales scope), the filtered list, the customers a lead
may already be, and the per-source conversion report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from peyvand.accounts.models import User
from peyvand.core.jalali import local_days_q
from peyvand.core.pagination import Page, paginate
from peyvand.core.phone import try_normalize_phone
from peyvand.core.text import clean_text, normalize_digits
from peyvand.customers.models import Customer, CustomerKind
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services import search_key_for
from peyvand.sales.models import Lead, LeadSource, LeadStatus, StageOutcome
from peyvand.sales.selectors import owned_visible_to

# The orders a lead list can be in; each ends on the unique id so keyset pagination is exact.
LEAD_ORDERS: dict[str, tuple[str, ...]] = {
    "newest": ("-id",),
    "oldest": ("id",),
}
MATCH_LIMIT = 20


def leads_visible_to(user: User | Any) -> QuerySet[Lead]:
    """The one scope every lead endpoint and page uses: the sales scope on the lead's own owner and team."""
    return owned_visible_to(Lead.objects.all(), user)


def lead_get(*, user: User, pk: int) -> Lead:
    """One visible lead or Lead.DoesNotExist, whether it is missing or someone else's."""
    return (
        leads_visible_to(user)
        .select_related("owner", "team", "converted_customer", "converted_deal", "converted_deal__stage")
        .get(pk=pk)
    )


def _created_between(date_from: dt.date | None, date_to: dt.date | None) -> Q:
    return local_days_q("created_at", date_from, date_to)


def lead_search(text: str) -> Q:
    """Leads whose name, company, phone or e-mail hold `text`; a phone in any spelling finds its E.164 form."""
    query = clean_text(text)
    if not query:
        return Q()
    where = (
        Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
        | Q(company_name__icontains=query)
        | Q(email__icontains=normalize_digits(query).lower())
    )
    phone = try_normalize_phone(query)
    digits = "".join(ch for ch in normalize_digits(query) if ch.isdigit())
    if phone:
        where |= Q(phone=phone)
    elif len(digits) >= 4:
        # A part of a number: stored numbers are +98…, so a leading 0 of the national form is dropped.
        where |= Q(phone__contains=digits.lstrip("0") or digits)
    if " " in query:
        # «علی رضایی»: the first and last name together.
        first, _sep, last = query.partition(" ")
        where |= Q(first_name__icontains=first, last_name__icontains=last.strip())
    return where


def lead_filter(
    *,
    status: str | None = None,
    source: str | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    q: str = "",
    created_from: dt.date | None = None,
    created_to: dt.date | None = None,
) -> Q:
    """The filters every lead list offers; the created range holds both days, in the site's time zone."""
    where = Q()
    if status:
        where &= Q(status=status)
    if source:
        where &= Q(source=source)
    if owner_id:
        where &= Q(owner_id=owner_id)
    if team_id:
        where &= Q(team_id=team_id)
    if q.strip():
        where &= lead_search(q)
    return where & _created_between(created_from, created_to)


def lead_list(
    *, user: User, where: Q | None = None, order: str = "newest", cursor: str | None = None, limit: int = 50
) -> Page:
    """One page of visible leads matching `where`. Raises ValidationError for a cursor not ours."""
    leads = leads_visible_to(user).filter(where or Q()).select_related("owner")
    return paginate(leads, order=LEAD_ORDERS[order], cursor=cursor, limit=limit)


def lead_matching_customers(*, lead: Lead, user: User, limit: int = MATCH_LIMIT) -> list[Customer]:
    """Visible customers the lead may already be: the same phone number or e-mail address, or an organisation
    of the same name; offered on conversion so the lead is linked rather than made a second time."""
    where = Q()
    if lead.phone:
        where |= Q(phones__number=lead.phone)
    if lead.email:
        where |= Q(emails__email=lead.email.lower())
    if lead.company_name:
        key = search_key_for(lead.company_name)
        if key:
            where |= Q(kind=CustomerKind.ORGANIZATION, search_key=key)
    if not where:
        return []
    ids = customers_visible_to(user).filter(where).values("pk")
    return list(
        Customer.objects.filter(pk__in=ids).select_related("organization").order_by("display_name", "id")[:limit]
    )


@dataclass
class SourceRow:
    """One source's leads in the period and what became of them."""

    source: str
    label: str
    leads: int
    qualified: int
    disqualified: int
    converted: int
    won_deals: int
    won_amount: int

    @property
    def conversion_rate(self) -> float:
        """Converted leads as a percent of the source's leads, to one decimal."""
        return round(100 * self.converted / self.leads, 1) if self.leads else 0.0


def lead_source_report(*, user: User, date_from: dt.date | None, date_to: dt.date | None) -> list[SourceRow]:
    """Per source, the visible leads recorded in the period: how many, how many were qualified (qualified or
    converted: a converted lead passed qualification), disqualified and converted, the conversion rate, and the
    won deals made from them with their amount. One GROUP BY in the database; sources without leads are left
    out, the busiest first."""
    won = Q(converted_deal__stage__outcome=StageOutcome.WON)
    rows = (
        leads_visible_to(user)
        .filter(_created_between(date_from, date_to))
        .order_by()
        .values("source")
        .annotate(
            leads=Count("id"),
            qualified=Count("id", filter=Q(status__in=[LeadStatus.QUALIFIED, LeadStatus.CONVERTED])),
            disqualified=Count("id", filter=Q(status=LeadStatus.DISQUALIFIED)),
            converted=Count("id", filter=Q(status=LeadStatus.CONVERTED)),
            won_deals=Count("converted_deal", filter=won),
            won_amount=Sum("converted_deal__amount", filter=won),
        )
    )
    labels = dict(LeadSource.choices)
    # Sum() of a bigint is a numeric (a Decimal) on PostgreSQL: made an int here, exact either way.
    report = [
        SourceRow(
            source=row["source"],
            label=str(labels.get(row["source"], row["source"])),
            leads=int(row["leads"]),
            qualified=int(row["qualified"]),
            disqualified=int(row["disqualified"]),
            converted=int(row["converted"]),
            won_deals=int(row["won_deals"]),
            won_amount=int(row["won_amount"] or 0),
        )
        for row in rows
    ]
    return sorted(report, key=lambda row: (-row.leads, row.source))


def source_report_total(rows: list[SourceRow]) -> SourceRow:
    """The report's bottom line: every source together."""
    return SourceRow(
        source="",
        label="",
        leads=sum(r.leads for r in rows),
        qualified=sum(r.qualified for r in rows),
        disqualified=sum(r.disqualified for r in rows),
        converted=sum(r.converted for r in rows),
        won_deals=sum(r.won_deals for r in rows),
        won_amount=sum(r.won_amount for r in rows),
    )
