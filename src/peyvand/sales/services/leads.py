"""Writes to leads: record, qualify or disqualify them, and convert one into a
customer and a deal in a single transaction that carries the lead's history over to the customer's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.accounts.selectors import teams_visible_to, users_visible_to
from peyvand.core.money import format_money
from peyvand.core.phone import InvalidPhone, normalize_phone
from peyvand.core.text import clean_text, normalize_digits
from peyvand.customers.models import Customer, CustomerKind, Direction, InteractionChannel, Source
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services import customer_create, interaction_create
from peyvand.sales.lead_selectors import leads_visible_to
from peyvand.sales.models import Activity, Deal, Lead, LeadSource, LeadStatus
from peyvand.sales.selectors import within_reach
from peyvand.sales.services._common import Errors, check_money, clean_line, clean_people, unknown_fields
from peyvand.sales.services.deals import deal_create

# What a caller may give when recording or changing a lead. The status moves only through lead_set_status,
# and the conversion fields only through lead_convert.
TEXT_FIELDS = ("first_name", "last_name", "company_name", "job_title", "city", "source_detail")
LONG_TEXT_FIELDS = ("interest", "notes")
ACCEPTED_FIELDS = {
    *TEXT_FIELDS,
    *LONG_TEXT_FIELDS,
    "phone",
    "email",
    "source",
    "estimated_amount",
    "owner_id",
    "team_id",
}
# Statuses a person sets by hand; `converted` is reached only by converting.
SETTABLE_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED)
# Most of a lead's long text is a few lines; this keeps a pasted document out of the row.
MAX_LONG_TEXT = 10_000

# The customers' own source list is coarser than the leads' one; a converted lead's customer keeps the nearest.
CUSTOMER_SOURCE = {
    LeadSource.WEB_FORM: Source.WEBSITE,
    LeadSource.IMPORT: Source.IMPORT,
    LeadSource.PHONE: Source.CALL,
    LeadSource.REFERRAL: Source.REFERRAL,
    LeadSource.CAMPAIGN: Source.ADVERTISING,
    LeadSource.EXHIBITION: Source.EXHIBITION,
    LeadSource.SOCIAL: Source.SOCIAL,
    LeadSource.OTHER: Source.OTHER,
}


def _require_visible(lead: Lead, by: User) -> None:
    # A lead out of the caller's reach is one that does not exist for them (404 in the API and on pages).
    if not leads_visible_to(by).filter(pk=lead.pk).exists():
        raise Lead.DoesNotExist


def _require_open(lead: Lead) -> None:
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(
            {"status": [_("This lead was converted into a customer; change the customer or the deal instead.")]}
        )


def _clean_phone(value: object, errors: Errors) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        return normalize_phone(text)
    except InvalidPhone:
        errors.add("phone", _("“%(value)s” is not a valid phone number.") % {"value": text})
        return ""


def _clean_email(value: object, errors: Errors) -> str:
    text = normalize_digits(str(value or "")).strip().lower()
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        errors.add("email", _("“%(value)s” is not a valid e-mail address.") % {"value": text})
        return ""
    if len(text) > 254:
        errors.add("email", _("This is too long: at most %(limit)d characters.") % {"limit": 254})
    return text


def _clean_fields(data: Mapping[str, Any], by: User, errors: Errors) -> dict[str, Any]:
    """The fields given in `data`, checked and normalised (only those given, so an update is partial)."""
    out = _clean_values(data, errors)
    clean_people(data, by, errors, out)
    return out


def _clean_values(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    """The lead's own fields given in `data`, checked and normalised: all but its owner and team, whose check
    depends on who assigns them."""
    out: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in data:
            out[name] = clean_line(data[name] or "", model=Lead, field=name, errors=errors)
    for name in LONG_TEXT_FIELDS:
        if name in data:
            out[name] = str(data[name] or "").strip()
            if len(out[name]) > MAX_LONG_TEXT:
                errors.add(name, _("This is too long: at most %(limit)d characters.") % {"limit": MAX_LONG_TEXT})
    if "phone" in data:
        out["phone"] = _clean_phone(data["phone"], errors)
    if "email" in data:
        out["email"] = _clean_email(data["email"], errors)
    if "source" in data:
        if data["source"] not in LeadSource.values:
            errors.add("source", _("“%(value)s” is not one of the choices.") % {"value": data["source"]})
        else:
            out["source"] = data["source"]
    if "estimated_amount" in data:
        value = data["estimated_amount"]
        out["estimated_amount"] = check_money(0 if value is None else value, field="estimated_amount", errors=errors)
    return out


def _check_identity(values: Mapping[str, Any], errors: Errors) -> None:
    """A lead is someone: at least one of a name, a company, a phone number or an e-mail address."""
    if errors:
        # A phone or e-mail refused above is empty here; saying it is also missing would only repeat that.
        return
    if not any(values.get(name) for name in ("first_name", "last_name", "company_name", "phone", "email")):
        errors.add(
            "__all__", _("Give at least one of: a first or last name, a company, a phone number or an e-mail address.")
        )


def _check_reach(by: User, *, owner_id: int | None, team_id: int | None, errors: Errors) -> None:
    if not within_reach(by, owner_id=owner_id, team_id=team_id):
        errors.add("owner_id", _("This would put the lead out of your reach: keep yourself or your team on it."))


def new_lead_values(*, by: User, data: Mapping[str, Any], source: str, check_reach: bool = True) -> dict[str, Any]:
    """The checked values of a new lead, owned by the caller and their team unless `data` assigns it."""
    errors = Errors()
    unknown_fields(data, ACCEPTED_FIELDS - {"source"}, errors)
    errors.raise_if_any()
    given: dict[str, Any] = {"source": source, **data}
    given.setdefault("owner_id", by.pk)
    given.setdefault("team_id", by.team_id)
    if given["owner_id"] is None and given["team_id"] is None:
        given["owner_id"] = by.pk
    values = _clean_fields(given, by, errors)
    _check_identity(values, errors)
    if check_reach and not errors:
        _check_reach(by, owner_id=values.get("owner_id"), team_id=values.get("team_id"), errors=errors)
    errors.raise_if_any()
    return values


@transaction.atomic
def lead_create(*, by: User, data: Mapping[str, Any], source: str = LeadSource.MANUAL) -> Lead:
    """Record a lead; owned by the caller and their team unless they assign it (within their reach)."""
    return Lead.objects.create(created_by=by, **new_lead_values(by=by, data=data, source=source))


@transaction.atomic
def lead_create_from_channel(
    *, data: Mapping[str, Any], source: str, team: Team | None = None, owner: User | None = None
) -> Lead:
    """Record a lead that a channel brings in by itself (a web form, a mail from an unknown sender).

    Nobody made it, so `created_by` stays empty, and nobody's reach is checked: the channel's settings, saved by
    an administrator, chose its team and owner. An owner who has left (inactive) is dropped and the team keeps
    the lead. The lead's own fields are cleaned and checked exactly as `lead_create` does.
    """
    errors = Errors()
    unknown_fields(data, ACCEPTED_FIELDS - {"source", "owner_id", "team_id"}, errors)
    errors.raise_if_any()
    values = _clean_values({**data, "source": source}, errors)
    _check_identity(values, errors)
    errors.raise_if_any()
    values["owner_id"] = owner.pk if owner is not None and owner.is_active else None
    values["team_id"] = team.pk if team is not None else None
    return Lead.objects.create(created_by=None, **values)


@transaction.atomic
def lead_update(*, lead: Lead, by: User, data: Mapping[str, Any]) -> Lead:
    """Change some fields of a lead the caller can see; a converted lead no longer changes."""
    _require_visible(lead, by)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    _require_open(lead)
    errors = Errors()
    unknown_fields(data, ACCEPTED_FIELDS, errors)
    errors.raise_if_any()
    values = _clean_fields(data, by, errors)
    merged = {name: values.get(name, getattr(lead, name)) for name in ("first_name", "last_name", "company_name")}
    merged.update({name: values.get(name, getattr(lead, name)) for name in ("phone", "email")})
    _check_identity(merged, errors)
    if not errors and ("owner_id" in values or "team_id" in values):
        _check_reach(
            by,
            owner_id=values.get("owner_id", lead.owner_id),
            team_id=values.get("team_id", lead.team_id),
            errors=errors,
        )
    errors.raise_if_any()
    for name, value in values.items():
        setattr(lead, name, value)
    lead.save(update_fields=[*values, "updated_at"])
    return lead


@transaction.atomic
def lead_set_status(*, lead: Lead, by: User, status: str, reason: str = "") -> Lead:
    """Move a lead through qualification: new, contacted, qualified, or disqualified (with a reason).

    Any of these may follow any other (a disqualified lead can come back, a qualified one can turn out not to
    be); `converted` is reached only by converting, and a converted lead stays as it is.
    """
    _require_visible(lead, by)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    errors = Errors()
    if status == LeadStatus.CONVERTED:
        errors.add("status", _("A lead becomes converted by converting it into a customer."))
    elif status not in SETTABLE_STATUSES:
        errors.add("status", _("“%(value)s” is not one of the choices.") % {"value": status})
    errors.raise_if_any()
    _require_open(lead)
    why = (reason or "").strip()
    if status == LeadStatus.DISQUALIFIED and not why:
        errors.add("reason", _("Say why the lead is disqualified."))
    if len(why) > MAX_LONG_TEXT:
        errors.add("reason", _("This is too long: at most %(limit)d characters.") % {"limit": MAX_LONG_TEXT})
    errors.raise_if_any()
    lead.status = status
    # The reason belongs to the disqualification: a lead that comes back loses it.
    lead.disqualified_reason = why if status == LeadStatus.DISQUALIFIED else ""
    lead.save(update_fields=["status", "disqualified_reason", "updated_at"])
    return lead


# --- conversion -------------------------------------------------------------------------------------------


@dataclass
class Conversion:
    """What converting a lead made or linked: the customer the deal is for, the person when an organisation
    and a person were both made, and the deal (None when none was asked for)."""

    lead: Lead
    customer: Customer
    person: Customer | None
    deal: Deal | None
    created_customer: bool


def _people_for(lead: Lead, by: User) -> tuple[int | None, int | None]:
    """Who the new customer and deal belong to: the lead's owner and team where the caller may assign them,
    else the caller and their team (the records must stay within the caller's reach)."""
    owner_id = lead.owner_id
    if owner_id is not None and owner_id != by.pk and not users_visible_to(by).filter(pk=owner_id).exists():
        owner_id = None
    team_id = lead.team_id
    if team_id is not None and not teams_visible_to(by).filter(pk=team_id).exists():
        team_id = None
    owner_id = owner_id or by.pk
    team_id = team_id if team_id is not None else by.team_id
    if not within_reach(by, owner_id=owner_id, team_id=team_id):
        return by.pk, by.team_id
    return owner_id, team_id


def _new_customers(lead: Lead, by: User) -> tuple[Customer, Customer | None]:
    """A person, an organisation when only a company is known, or both (the person a member of the
    organisation, which is the customer the deal is for)."""
    owner_id, team_id = _people_for(lead, by)
    shared: dict[str, Any] = {"owner_id": owner_id, "team_id": team_id}
    source = CUSTOMER_SOURCE.get(LeadSource(lead.source))
    if source is not None:
        shared["source"] = source
    contact: dict[str, Any] = {}
    if lead.phone:
        contact["phones"] = [{"number": lead.phone, "kind": "mobile", "is_primary": True}]
    if lead.email:
        contact["emails"] = [{"email": lead.email, "kind": "work", "is_primary": True}]
    if lead.city:
        contact["addresses"] = [{"kind": "work", "city": lead.city, "is_primary": True}]
    has_person = bool(lead.first_name or lead.last_name)
    organization: Customer | None = None
    if lead.company_name:
        organization = customer_create(
            by=by,
            data={
                "kind": CustomerKind.ORGANIZATION,
                "name": lead.company_name,
                **shared,
                **({} if has_person else contact),
            },
        )
    if not has_person:
        if organization is None:
            # Only a phone number or an e-mail address: the person is named after it until someone asks.
            return customer_create(
                by=by, data={"kind": CustomerKind.PERSON, "last_name": lead.display_name, **shared, **contact}
            ), None
        return organization, None
    person = customer_create(
        by=by,
        data={
            "kind": CustomerKind.PERSON,
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "job_title": lead.job_title,
            **({"organization_id": organization.pk} if organization is not None else {}),
            **shared,
            **contact,
        },
    )
    if organization is not None:
        return organization, person
    return person, None


def _history_text(lead: Lead) -> str:
    """The lead's story, as the customer's timeline keeps it."""
    lines = [_("Source: %(source)s") % {"source": LeadSource(lead.source).label}]
    if lead.source_detail:
        lines[0] += f" ({lead.source_detail})"
    lines.append(_("Recorded on: %(date)s") % {"date": timezone.localdate(lead.created_at).isoformat()})
    if lead.estimated_amount:
        lines.append(_("Estimated amount: %(amount)s") % {"amount": format_money(lead.estimated_amount)})
    if lead.interest:
        lines.append(_("Interested in: %(interest)s") % {"interest": lead.interest})
    if lead.notes:
        lines.append(_("Notes: %(notes)s") % {"notes": lead.notes})
    return "\n".join(lines)


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by: User,
    customer_id: int | None = None,
    create_deal: bool = True,
    deal_title: str | None = None,
    deal_amount: int | None = None,
    pipeline_id: int | None = None,
) -> Conversion:
    """Turn a lead into a customer (an existing one the caller can see, or a new one) and, unless told not
    to, a deal, all in one transaction: either everything is written or nothing is.

    The lead's history goes to the customer's timeline (an entry with its source, interest and notes) and its
    planned activities move to the customer and the deal; the lead stays, marked converted and pointing at
    both, for the conversion-rate report.
    """
    _require_visible(lead, by)
    # Locked, so two people converting the same lead at once make one customer, not two.
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"status": [_("This lead was converted already; open its customer or deal instead.")]})
    errors = Errors()
    if lead.status == LeadStatus.DISQUALIFIED:
        errors.add("status", _("A disqualified lead is not converted; set it back to qualified first."))
    existing: Customer | None = None
    if customer_id is not None:
        existing = customers_visible_to(by).filter(pk=customer_id).first()
        if existing is None:
            errors.add("customer_id", _("No such customer."))
    if deal_amount is not None:
        check_money(deal_amount, field="deal_amount", errors=errors)
    # A deal is named as asked, else after what the lead wanted (the first line of it), else after the lead.
    interest = lead.interest.strip().splitlines()[0] if lead.interest.strip() else ""
    title = (clean_text(deal_title or "") or clean_text(interest) or lead.display_name)[:200]
    errors.raise_if_any()

    person: Customer | None = None
    if existing is not None:
        customer, created = existing, False
    else:
        customer, person = _new_customers(lead, by)
        created = True

    deal: Deal | None = None
    if create_deal:
        owner_id, team_id = _people_for(lead, by)
        try:
            deal = deal_create(
                by=by,
                title=title,
                customer_id=customer.pk,
                pipeline_id=pipeline_id,
                amount=lead.estimated_amount if deal_amount is None else deal_amount,
                owner_id=owner_id,
                team_id=team_id,
            )
        except ValidationError as exc:
            # The deal's fields are named as the conversion takes them.
            renamed = {"title": "deal_title", "amount": "deal_amount"}
            fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            raise ValidationError({renamed.get(key, key): texts for key, texts in fields.items()}) from None

    interaction_create(
        customer=customer,
        by=by,
        channel=InteractionChannel.SYSTEM,
        direction=Direction.INTERNAL,
        subject=_("Converted from lead: %(name)s") % {"name": lead.display_name},
        body=_history_text(lead),
        related=lead,
        check_visible=False,
    )
    # The lead's calls, meetings and tasks now belong to the customer (and the deal): on their agenda and,
    # once done, on the customer's timeline. They keep the lead too, so its page still lists them.
    moved: dict[str, Any] = {"customer": customer, "updated_at": timezone.now()}
    if deal is not None:
        moved["deal"] = deal
    Activity.objects.filter(lead=lead).update(**moved)

    lead.status = LeadStatus.CONVERTED
    lead.disqualified_reason = ""
    lead.converted_customer = customer
    lead.converted_deal = deal
    lead.converted_at = timezone.now()
    lead.save(
        update_fields=[
            "status",
            "disqualified_reason",
            "converted_customer",
            "converted_deal",
            "converted_at",
            "updated_at",
        ]
    )
    return Conversion(lead=lead, customer=customer, person=person, deal=deal, created_customer=created)
