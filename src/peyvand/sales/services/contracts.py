"""Writes to contracts: create and change them, activate, terminate and renew them, attach their files, and the
background work of renewal reminders and expiry; every milestone goes on the customer's timeline."""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import jdatetime
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, Team, User
from peyvand.core.jalali import format_date
from peyvand.core.money import format_money
from peyvand.core.text import clean_text
from peyvand.customers.models import Direction, InteractionChannel
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services import interaction_create
from peyvand.sales.contract_selectors import contracts_visible_to
from peyvand.sales.models import Contract, ContractFile, ContractStatus
from peyvand.sales.selectors import deals_visible_to, within_reach
from peyvand.sales.services._common import (
    Errors,
    check_money,
    clean_date,
    clean_line,
    clean_people,
    unknown_fields,
)
from peyvand.sales.services.numbering import next_number

logger = logging.getLogger(__name__)

# What create and PATCH take; the customer is fixed once the contract is made.
EDIT_FIELDS = {
    "title",
    "deal_id",
    "start_date",
    "end_date",
    "value",
    "auto_renew",
    "renewal_notice_days",
    "terms",
    "signed_at",
    "owner_id",
    "team_id",
}
CREATE_FIELDS = EDIT_FIELDS | {"customer_id"}
# A contract that ended, was terminated or renewed is a record of what was agreed: it is no longer edited.
EDITABLE = (ContractStatus.DRAFT, ContractStatus.ACTIVE)
RENEWABLE = (ContractStatus.ACTIVE, ContractStatus.EXPIRED)
MAX_NOTICE_DAYS = 366

# A scanned contract with its annexes runs to a few megabytes; 20 MB leaves room without letting one upload
# fill the disk.
MAX_FILE_BYTES = 20 * 1024 * 1024
# Extension → the kind its content must be, and the content type it is served with.
FILE_KINDS: dict[str, tuple[str, str]] = {
    ".pdf": ("pdf", "application/pdf"),
    ".jpg": ("jpeg", "image/jpeg"),
    ".jpeg": ("jpeg", "image/jpeg"),
    ".png": ("png", "image/png"),
    ".docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".odt": ("odt", "application/vnd.oasis.opendocument.text"),
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# The first bytes of programs and scripts, refused whatever the file is called.
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf")


# --- helpers ----------------------------------------------------------------------------------------------


def _require_visible(contract: Contract, by: User) -> None:
    if not contracts_visible_to(by).filter(pk=contract.pk).exists():
        raise Contract.DoesNotExist


def _write_timeline(contract: Contract, *, by: User | None, subject: str, body: str = "") -> None:
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


def _term(contract: Contract) -> str:
    return _("From %(start)s to %(end)s. Value: %(value)s.") % {
        "start": format_date(contract.start_date),
        "end": format_date(contract.end_date),
        "value": format_money(contract.value),
    }


def _clean_fields(data: Mapping[str, Any], by: User, errors: Errors) -> dict[str, Any]:
    """The editable fields given in `data`, checked and normalised (only those given, so PATCH is partial)."""
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = clean_line(data["title"], model=Contract, field="title", errors=errors)
        if not out["title"]:
            errors.add("title", _("This field is required."))
    for name in ("start_date", "end_date"):
        if name in data:
            out[name] = clean_date(data[name], errors, name)
            if out[name] is None and name not in errors.fields:
                errors.add(name, _("This field is required."))
    if "signed_at" in data:
        out["signed_at"] = clean_date(data["signed_at"], errors, "signed_at")
    if "value" in data:
        out["value"] = check_money(data["value"], field="value", errors=errors)
    if "auto_renew" in data:
        if not isinstance(data["auto_renew"], bool):
            errors.add("auto_renew", _("Answer yes or no (true or false)."))
        else:
            out["auto_renew"] = data["auto_renew"]
    if "renewal_notice_days" in data:
        days = data["renewal_notice_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_NOTICE_DAYS:
            errors.add(
                "renewal_notice_days",
                _("Give a whole number of days from 0 to %(max)d.") % {"max": MAX_NOTICE_DAYS},
            )
        else:
            out["renewal_notice_days"] = days
    if "terms" in data:
        out["terms"] = str(data["terms"] or "").strip()
    if "deal_id" in data:
        deal_id = data["deal_id"]
        if deal_id is not None and (isinstance(deal_id, bool) or not isinstance(deal_id, int)):
            errors.add("deal_id", _("No such deal of this customer."))
        else:
            out["deal_id"] = deal_id
    clean_people(data, by, errors, out)
    return out


def _check_deal(deal_id: int | None, *, customer_id: int, by: User, errors: Errors) -> None:
    # A contract's deal is one of its own customer's that the caller can see; any other is "no such deal".
    if deal_id is not None and not deals_visible_to(by).filter(pk=deal_id, customer_id=customer_id).exists():
        errors.add("deal_id", _("No such deal of this customer."))


def _check_term(start: dt.date | None, end: dt.date | None, errors: Errors) -> None:
    if start is not None and end is not None and end < start:
        errors.add("end_date", _("The contract cannot end before it starts."))


def _check_reach(by: User, *, owner_id: int | None, team_id: int | None, errors: Errors) -> None:
    if not within_reach(by, owner_id=owner_id, team_id=team_id):
        errors.add("owner_id", _("This would put the contract out of your reach: keep yourself or your team on it."))


def _locked(contract: Contract) -> Contract:
    return Contract.objects.select_for_update(of=("self",)).select_related("customer").get(pk=contract.pk)


# --- create and change ------------------------------------------------------------------------------------


@transaction.atomic
def contract_create(*, by: User, data: Mapping[str, Any]) -> Contract:
    """A new draft contract with a customer the caller can see, optionally for one of that customer's deals;
    owned by the caller and their team unless they assign it (within their reach). It is numbered CT-1405-00001
    in the Jalali year it is made."""
    errors = Errors()
    unknown_fields(data, CREATE_FIELDS, errors)
    customer_id = data.get("customer_id")
    customer = None
    if isinstance(customer_id, int) and not isinstance(customer_id, bool) and customer_id > 0:
        customer = customers_visible_to(by).filter(pk=customer_id).first()
    if customer is None:
        # The same answer for a customer that does not exist and one the caller may not see.
        errors.add("customer_id", _("No such customer."))
    given = dict(data)
    for required in ("title", "start_date", "end_date"):
        given.setdefault(required, "")
    given.setdefault("owner_id", by.pk)
    given.setdefault("team_id", by.team_id)
    if given["owner_id"] is None and given["team_id"] is None:
        given["owner_id"] = by.pk
    values = _clean_fields(given, by, errors)
    _check_term(values.get("start_date"), values.get("end_date"), errors)
    if customer is not None:
        _check_deal(values.get("deal_id"), customer_id=customer.pk, by=by, errors=errors)
    if not errors:
        _check_reach(by, owner_id=values.get("owner_id"), team_id=values.get("team_id"), errors=errors)
    errors.raise_if_any()
    assert customer is not None
    contract = Contract.objects.create(
        customer=customer, number=next_number("contract"), created_by=by, status=ContractStatus.DRAFT, **values
    )
    _write_timeline(
        contract,
        by=by,
        subject=_("Contract created: %(number)s %(title)s") % {"number": contract.number, "title": contract.title},
        body=_term(contract),
    )
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, by: User, data: Mapping[str, Any]) -> Contract:
    """Change some fields of a draft or active contract the caller can see."""
    _require_visible(contract, by)
    errors = Errors()
    unknown_fields(data, EDIT_FIELDS, errors)
    errors.raise_if_any()
    contract = _locked(contract)
    if contract.status not in EDITABLE:
        errors.add(
            "status",
            _("A contract that is %(status)s is kept as it was; it cannot be changed.")
            % {"status": contract.get_status_display()},
        )
        errors.raise_if_any()
    values = _clean_fields(data, by, errors)
    _check_term(values.get("start_date", contract.start_date), values.get("end_date", contract.end_date), errors)
    if "deal_id" in values:
        _check_deal(values["deal_id"], customer_id=contract.customer_id, by=by, errors=errors)
    if not errors and ("owner_id" in values or "team_id" in values):
        _check_reach(
            by,
            owner_id=values.get("owner_id", contract.owner_id),
            team_id=values.get("team_id", contract.team_id),
            errors=errors,
        )
    errors.raise_if_any()
    fields = list(values)
    if (
        values.get("end_date", contract.end_date) != contract.end_date
        or values.get("renewal_notice_days", contract.renewal_notice_days) != contract.renewal_notice_days
    ):
        # A new end (or notice) is a new date to talk renewal: the reminder is owed again.
        values["renewal_reminded_at"] = None
        fields.append("renewal_reminded_at")
    for field, value in values.items():
        setattr(contract, field, value)
    contract.save(update_fields=[*fields, "updated_at"])
    return contract


@transaction.atomic
def contract_activate(*, contract: Contract, by: User) -> Contract:
    """A draft contract comes into force (it was signed)."""
    _require_visible(contract, by)
    contract = _locked(contract)
    errors = Errors()
    if contract.status != ContractStatus.DRAFT:
        errors.add("status", _("Only a draft contract can be activated."))
    elif contract.end_date < timezone.localdate():
        errors.add("end_date", _("This contract has already ended; change its dates first."))
    errors.raise_if_any()
    contract.status = ContractStatus.ACTIVE
    fields = ["status", "updated_at"]
    if contract.signed_at is None:
        # Put into force means signed: today unless the date was given.
        contract.signed_at = timezone.localdate()
        fields.append("signed_at")
    contract.save(update_fields=fields)
    _write_timeline(
        contract,
        by=by,
        subject=_("Contract activated: %(number)s %(title)s") % {"number": contract.number, "title": contract.title},
        body=_term(contract),
    )
    return contract


@transaction.atomic
def contract_terminate(*, contract: Contract, by: User, reason: str) -> Contract:
    """End a draft or active contract before its term, saying why (the reason goes on the timeline)."""
    _require_visible(contract, by)
    contract = _locked(contract)
    errors = Errors()
    why = clean_text(reason or "").strip()
    if contract.status not in EDITABLE:
        errors.add("status", _("Only a draft or active contract can be terminated."))
    if not why:
        errors.add("reason", _("Say why the contract is terminated."))
    elif len(why) > 2000:
        errors.add("reason", _("This is too long: at most %(limit)d characters.") % {"limit": 2000})
    errors.raise_if_any()
    contract.status = ContractStatus.TERMINATED
    contract.terminated_at = timezone.now()
    contract.termination_reason = why
    contract.save(update_fields=["status", "terminated_at", "termination_reason", "updated_at"])
    _write_timeline(
        contract,
        by=by,
        subject=_("Contract terminated: %(number)s %(title)s") % {"number": contract.number, "title": contract.title},
        body=_("Reason: %(reason)s") % {"reason": why},
    )
    return contract


def _add_jalali_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole Jalali months, kept to the end of a shorter month (31 Shahrivar + 1 month → 30 Mehr)."""
    jalali = jdatetime.date.fromgregorian(date=day)
    index = jalali.month - 1 + months
    year, month = jalali.year + index // 12, index % 12 + 1
    for candidate in range(jalali.day, 0, -1):
        try:
            moved: dt.date = jdatetime.date(year, month, candidate).togregorian()
            return moved
        except ValueError:
            continue
    raise ValueError("No such Jalali day")  # pragma: no cover - every Jalali month has 29 days


def renewal_term(contract: Contract, start: dt.date) -> dt.date:
    """The end of a renewal starting on `start`, as long as the contract it renews. A term of whole Jalali months
    (1 Farvardin to the end of Esfand, 15 Mehr to 14 Dey) is renewed by months, so a year stays a year across a
    leap year; any other term by its number of days."""
    old_start = jdatetime.date.fromgregorian(date=contract.start_date)
    day_after = jdatetime.date.fromgregorian(date=contract.end_date + dt.timedelta(days=1))
    months = (day_after.year - old_start.year) * 12 + day_after.month - old_start.month
    if months > 0 and day_after.day == old_start.day:
        return _add_jalali_months(start, months) - dt.timedelta(days=1)
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
    _write_timeline(
        renewal,
        by=by,
        subject=_("Contract %(old)s renewed as %(new)s: %(title)s")
        % {"old": contract.number, "new": renewal.number, "title": renewal.title},
        body=_term(renewal),
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
    _require_visible(contract, by)
    contract = _locked(contract)
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
        _check_term(start or contract.end_date + dt.timedelta(days=1), end, errors)
    amount = check_money(value, field="value", errors=errors) if value is not None else None
    errors.raise_if_any()
    return _renew(contract, by=by, start_date=start, end_date=end, value=amount)


# --- files ------------------------------------------------------------------------------------------------


def _content_kind(head: bytes, stream: IO[bytes]) -> str | None:
    """What the file's bytes say it is (never what its name says): pdf, jpeg, png, docx, xlsx, odt or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            stream.seek(0)
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
                if (
                    "mimetype" in names
                    and archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.text"
                ):
                    return "odt"
                if "[Content_Types].xml" in names:
                    if "word/document.xml" in names:
                        return "docx"
                    if "xl/workbook.xml" in names:
                        return "xlsx"
        except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
            return None
    return None


def _display_name(name: str) -> str:
    """The uploaded file's own name, as people will see it: no folders, tidied, within the column."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = clean_text(base).strip() or "file"
    limit = ContractFile._meta.get_field("name").max_length or 200
    if len(base) > limit:
        stem, ext = os.path.splitext(base)
        base = stem[: limit - len(ext)] + ext
    return base


def check_upload(upload: Any) -> tuple[str, str]:
    """Refuse a file that is too large, empty, a program, or not the kind its name says; (extension, content
    type) of one that will do. Raises ValidationError on `file`."""
    size = int(getattr(upload, "size", 0) or 0)
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB; files of at most %(limit)d MB can be attached.")
                % {"size": f"{size / (1024 * 1024):.1f}", "limit": MAX_FILE_BYTES // (1024 * 1024)}
            }
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    ext = os.path.splitext(str(getattr(upload, "name", "") or ""))[1].lower()
    upload.seek(0)
    head = upload.read(16)
    if head.startswith(EXECUTABLE_MAGIC):
        raise ValidationError({"file": _("Programs and scripts cannot be attached to a contract.")})
    if ext not in FILE_KINDS:
        raise ValidationError(
            {"file": _("Attach a PDF, JPG or PNG image, Word (DOCX), Excel (XLSX) or OpenDocument (ODT) file.")}
        )
    expected, content_type = FILE_KINDS[ext]
    kind = _content_kind(head, upload)
    upload.seek(0)
    if kind != expected:
        raise ValidationError(
            {"file": _("The file's content is not what its name (%(ext)s) says; it was not attached.") % {"ext": ext}}
        )
    return ext, content_type


def contract_file_add(*, contract: Contract, by: User, upload: Any) -> ContractFile:
    """Attach a document to a contract the caller can see. The file is stored under a generated name (the name
    it came with is kept for showing and downloading only) and is read back only through a view that checks
    the contract's scope."""
    _require_visible(contract, by)
    ext, content_type = check_upload(upload)
    row = ContractFile(
        contract=contract,
        name=_display_name(getattr(upload, "name", "")),
        content_type=content_type,
        size=int(upload.size),
        uploaded_by=by,
    )
    row.file.save(f"{uuid.uuid4().hex}{ext}", File(upload), save=False)
    try:
        with transaction.atomic():
            row.save()
            _write_timeline(
                contract,
                by=by,
                subject=_("File attached to contract %(number)s: %(name)s")
                % {"number": contract.number, "name": row.name},
            )
    except BaseException:
        # Nothing was recorded: the stored bytes go too, or they would be an orphan nobody can reach.
        row.file.delete(save=False)
        raise
    return row


@transaction.atomic
def contract_file_remove(*, file: ContractFile, by: User) -> None:
    """Remove a file from a contract the caller can see; its bytes are deleted once the removal is committed."""
    contract = file.contract
    _require_visible(contract, by)
    storage, path = file.file.storage, file.file.name
    name = file.name
    file.delete()
    _write_timeline(
        contract,
        by=by,
        subject=_("File removed from contract %(number)s: %(name)s") % {"number": contract.number, "name": name},
    )
    if path:
        transaction.on_commit(lambda: storage.delete(path))


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
                        _write_timeline(
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
