"""Writes to deals: create, change and move them through their pipeline, each write checked against the version
the caller read, and every milestone written to the customer's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import User
from peyvand.core.money import format_money
from peyvand.customers.models import CustomerKind, Direction, InteractionChannel
from peyvand.customers.selectors import customers_visible_to
from peyvand.customers.services import interaction_create
from peyvand.sales.models import (
    Competitor,
    Deal,
    DealContact,
    DealContactRole,
    Pipeline,
    Stage,
    StageOutcome,
)
from peyvand.sales.selectors import deals_visible_to, within_reach
from peyvand.sales.services._common import (
    ConflictError,
    Errors,
    check_money,
    clean_date,
    clean_line,
    clean_moment,
    clean_people,
    unknown_fields,
)

# What PATCH may change. The customer and the pipeline are fixed when the deal is made, and the stage moves
# only through deal_move (which checks what a move to won or lost needs).
UPDATE_FIELDS = {"title", "amount", "expected_close_date", "owner_id", "team_id", "next_step", "next_step_due_at"}


def _require_visible(deal: Deal, by: User) -> None:
    if not deals_visible_to(by).filter(pk=deal.pk).exists():
        raise Deal.DoesNotExist


def _locked(deal: Deal, *, version: int) -> Deal:
    """The deal's row, locked for the rest of the transaction, if it is still at `version`."""
    current = Deal.objects.select_for_update(of=("self",)).select_related("stage", "customer").get(pk=deal.pk)
    if current.version != version:
        raise ConflictError(
            _(
                "Someone else changed this deal after you opened it (you have version %(yours)s, it is now at "
                "%(current)s). Open it again to see their changes, then make yours."
            )
            % {"yours": version, "current": current.version},
            current_version=current.version,
        )
    return current


def _save_versioned(deal: Deal, *, version: int, fields: list[str]) -> Deal:
    """Write `fields` and the next version only if the row is still at `version`.

    The row is locked already on PostgreSQL; the condition in the UPDATE is what keeps SQLite (where
    select_for_update does nothing) from letting two writers that read the same version both win.
    """
    now = timezone.now()
    values = {field: getattr(deal, field) for field in fields}
    written = Deal.objects.filter(pk=deal.pk, version=version).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if written != 1:
        current = Deal.objects.filter(pk=deal.pk).values_list("version", flat=True).first() or version
        raise ConflictError(
            _("Someone else changed this deal at the same moment. Open it again, then make your change."),
            current_version=current,
        )
    deal.version = version + 1
    deal.updated_at = now
    return deal


def _clean_fields(data: Mapping[str, Any], by: User, errors: Errors) -> dict[str, Any]:
    """The editable fields given in `data`, checked and normalised (only those given, so PATCH is partial)."""
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = clean_line(data["title"], model=Deal, field="title", errors=errors)
        if not out["title"]:
            errors.add("title", _("This field is required."))
    if "amount" in data:
        out["amount"] = check_money(data["amount"], field="amount", errors=errors)
    if "expected_close_date" in data:
        out["expected_close_date"] = clean_date(data["expected_close_date"], errors, "expected_close_date")
    if "next_step" in data:
        out["next_step"] = clean_line(data["next_step"] or "", model=Deal, field="next_step", errors=errors)
    if "next_step_due_at" in data:
        out["next_step_due_at"] = clean_moment(data["next_step_due_at"], errors, "next_step_due_at")
    clean_people(data, by, errors, out)
    return out


def _check_reach(by: User, *, owner_id: int | None, team_id: int | None, errors: Errors) -> None:
    # An agent may hand a deal to a team-mate, but not out of their own sight (the customers rule).
    if not within_reach(by, owner_id=owner_id, team_id=team_id):
        errors.add("owner_id", _("This would put the deal out of your reach: keep yourself or your team on it."))


def _write_timeline(deal: Deal, *, by: User | None, subject: str, body: str = "") -> None:
    """Deal milestones go on the customer's one timeline, linked to the deal, like every other module's events.

    The caller's right to the deal was checked already; the customer may since have moved out of their sight,
    which must not stop the event from being recorded.
    """
    interaction_create(
        customer=deal.customer,
        by=by,
        channel=InteractionChannel.SYSTEM,
        direction=Direction.INTERNAL,
        subject=subject,
        body=body,
        related=deal,
        check_visible=False,
    )


def _default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(is_default=True).first()


@transaction.atomic
def deal_create(
    *,
    by: User,
    title: str,
    customer_id: int,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    amount: int = 0,
    expected_close_date: date | str | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
    next_step: str = "",
    next_step_due_at: datetime | None = None,
) -> Deal:
    """A new open deal for a customer the caller can see, in the default pipeline's first stage unless told
    otherwise; owned by the caller and their team unless they assign it (within their reach)."""
    errors = Errors()
    customer = customers_visible_to(by).filter(pk=customer_id).first()
    if customer is None:
        # The same answer for a customer that does not exist and one the caller may not see.
        errors.add("customer_id", _("No such customer."))
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first() if pipeline_id is not None else _default_pipeline()
    stage: Stage | None = None
    if pipeline is None:
        errors.add("pipeline_id", _("No such pipeline."))
    elif stage_id is None:
        stage = pipeline.stages.filter(outcome=StageOutcome.OPEN).order_by("position", "id").first()
        if stage is None:
            errors.add("pipeline_id", _("This pipeline has no open stage for a new deal."))
    else:
        stage = Stage.objects.filter(pk=stage_id).first()
        if stage is None or stage.pipeline_id != pipeline.pk:
            errors.add("stage_id", _("This stage is not in the deal's pipeline."))
            stage = None
        elif stage.is_closed:
            errors.add("stage_id", _("A new deal starts in an open stage; move it to won or lost afterwards."))
    given: dict[str, Any] = {
        "title": title,
        "amount": amount,
        "expected_close_date": expected_close_date,
        "next_step": next_step,
        "next_step_due_at": next_step_due_at,
        "owner_id": by.pk if owner_id is None else owner_id,
        "team_id": by.team_id if team_id is None else team_id,
    }
    values = _clean_fields(given, by, errors)
    if not errors:
        _check_reach(by, owner_id=values["owner_id"], team_id=values["team_id"], errors=errors)
    errors.raise_if_any()
    assert customer is not None and pipeline is not None and stage is not None
    deal = Deal.objects.create(customer=customer, pipeline=pipeline, stage=stage, created_by=by, **values)
    _write_timeline(
        deal,
        by=by,
        subject=_("Deal created: %(title)s") % {"title": deal.title},
        body=_("Stage: %(stage)s. Amount: %(amount)s.") % {"stage": stage.label, "amount": format_money(deal.amount)},
    )
    return deal


@transaction.atomic
def deal_update(*, deal: Deal, by: User, version: int, data: Mapping[str, Any]) -> Deal:
    """Change some fields of a deal the caller can see; `version` is the one they read (409 if it moved on)."""
    _require_visible(deal, by)
    errors = Errors()
    unknown_fields(data, UPDATE_FIELDS, errors)
    errors.raise_if_any()
    deal = _locked(deal, version=version)
    values = _clean_fields(data, by, errors)
    errors.raise_if_any()
    if "owner_id" in values or "team_id" in values:
        _check_reach(
            by,
            owner_id=values.get("owner_id", deal.owner_id),
            team_id=values.get("team_id", deal.team_id),
            errors=errors,
        )
        errors.raise_if_any()
    fields = list(values)
    if "next_step_due_at" in values and values["next_step_due_at"] != deal.next_step_due_at:
        # A new due time is a new promise: its overdue reminder is owed again.
        values["next_step_reminded_at"] = None
        fields.append("next_step_reminded_at")
    for field, value in values.items():
        setattr(deal, field, value)
    # Every accepted write moves the version on, even one that changes nothing: the caller asked to write.
    return _save_versioned(deal, version=version, fields=fields)


@transaction.atomic
def deal_move(
    *,
    deal: Deal,
    by: User,
    version: int,
    stage_id: int,
    lost_reason: str = "",
    lost_to_id: int | None = None,
) -> Deal:
    """Move a deal to another stage of its pipeline. Won and lost stamp the close time (lost needs a reason,
    and may name the competitor who won); moving back to an open stage reopens the deal."""
    _require_visible(deal, by)
    deal = _locked(deal, version=version)
    errors = Errors()
    stage = Stage.objects.filter(pk=stage_id).first()
    if stage is None or stage.pipeline_id != deal.pipeline_id:
        errors.add("stage_id", _("This stage is not in the deal's pipeline."))
        errors.raise_if_any()
    assert stage is not None
    reason = (lost_reason or "").strip()
    competitor: Competitor | None = None
    if stage.outcome == StageOutcome.LOST:
        if not reason:
            errors.add("lost_reason", _("Say why the deal was lost."))
        if lost_to_id is not None:
            competitor = Competitor.objects.filter(pk=lost_to_id).first()
            if competitor is None:
                errors.add("lost_to_id", _("No such competitor."))
    else:
        if reason:
            errors.add("lost_reason", _("Only a deal moved to a lost stage has a reason lost."))
        if lost_to_id is not None:
            errors.add("lost_to_id", _("Only a deal moved to a lost stage is lost to a competitor."))
    errors.raise_if_any()

    before = deal.stage
    unchanged = stage.pk == before.pk and (
        stage.outcome != StageOutcome.LOST or (reason == deal.lost_reason and competitor == deal.lost_to)
    )
    if unchanged:
        return deal
    if not stage.is_closed:
        deal.closed_at = None
    elif before.outcome != stage.outcome or deal.closed_at is None:
        # Closing, or changing the outcome (lost after all won): the deal closes now. Between two stages of
        # the same outcome it keeps the moment it first closed.
        deal.closed_at = timezone.now()
    deal.lost_reason = reason if stage.outcome == StageOutcome.LOST else ""
    deal.lost_to = competitor
    deal.stage = stage
    _save_versioned(deal, version=version, fields=["stage_id", "closed_at", "lost_reason", "lost_to_id"])

    if stage.outcome == StageOutcome.WON:
        subject = _("Deal won: %(title)s") % {"title": deal.title}
        body = _("Amount: %(amount)s.") % {"amount": format_money(deal.amount)}
    elif stage.outcome == StageOutcome.LOST:
        subject = _("Deal lost: %(title)s") % {"title": deal.title}
        body = _("Reason: %(reason)s") % {"reason": reason}
        if competitor is not None:
            body += "\n" + _("Lost to: %(competitor)s") % {"competitor": competitor.name}
    else:
        subject = _("Deal “%(title)s” moved from %(from)s to %(to)s") % {
            "title": deal.title,
            "from": before.label,
            "to": stage.label,
        }
        body = ""
    _write_timeline(deal, by=by, subject=subject, body=body)
    return deal


@transaction.atomic
def deal_contact_set(*, deal: Deal, by: User, contact_id: int, role: str) -> DealContact:
    """Name a person on the customer's side in the deal, or change their role in it."""
    _require_visible(deal, by)
    errors = Errors()
    if role not in DealContactRole.values:
        errors.add("role", _("Unknown role."))
    contact = customers_visible_to(by).filter(pk=contact_id, kind=CustomerKind.PERSON).first()
    if contact is None:
        errors.add("contact_id", _("No such person."))
    errors.raise_if_any()
    assert contact is not None
    row, _created = DealContact.objects.update_or_create(deal=deal, contact=contact, defaults={"role": role})
    return row


@transaction.atomic
def deal_contact_remove(*, deal: Deal, by: User, contact_id: int) -> None:
    _require_visible(deal, by)
    DealContact.objects.get(deal=deal, contact_id=contact_id).delete()
