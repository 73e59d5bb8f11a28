"""Reads of web forms: the forms for the builder, the public form by its key, and submissions within a user's
reach."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, User
from peyvand.comms.webforms.models import FormSubmission, SubmissionStatus, WebForm
from peyvand.customers.selectors import customers_visible_to
from peyvand.sales.lead_selectors import leads_visible_to
from peyvand.service.selectors import tickets_visible_to

__all__ = [
    "can_read_forms",
    "form_list",
    "public_form_get",
    "require_form_reader",
    "submission_get",
    "submissions_visible_to",
]


def can_read_forms(user: User) -> bool:
    """Administrators build forms; managers read them (what is asked, where it goes, the embed code)."""
    return bool(user.is_admin_role or user.role == Role.MANAGER)


def require_form_reader(user: User) -> None:
    if not can_read_forms(user):
        raise PermissionDenied(_("Only managers and administrators can see web forms."))


def form_list(*, user: User) -> QuerySet[WebForm]:
    """Every form, with its counts of accepted and spam submissions and the time of the latest."""
    require_form_reader(user)
    return WebForm.objects.annotate(
        accepted_count=Count("submissions", filter=Q(submissions__status=SubmissionStatus.ACCEPTED)),
        spam_count=Count("submissions", filter=Q(submissions__status=SubmissionStatus.SPAM)),
        failed_count=Count("submissions", filter=Q(submissions__status=SubmissionStatus.FAILED)),
        last_at=Max("submissions__created_at"),
    ).order_by("name", "id")


def public_form_get(key: str) -> WebForm:
    """An active form by its public key, or WebForm.DoesNotExist (a removed or paused form is not there)."""
    return WebForm.objects.get(key=str(key)[:32], is_active=True)


def submissions_visible_to(user: User | Any) -> QuerySet[FormSubmission]:
    """Administrators see every submission; managers and agents those that made a lead or a ticket they can see,
    or came from a customer they can see. Spam and failed submissions made nothing: administrators handle them."""
    rows = FormSubmission.objects.all()
    if user.is_admin_role:
        return rows
    return rows.filter(
        Q(lead__in=leads_visible_to(user))
        | Q(ticket__in=tickets_visible_to(user))
        | Q(customer__in=customers_visible_to(user))
    )


def submission_get(*, user: User, pk: int) -> FormSubmission:
    """One visible submission or FormSubmission.DoesNotExist, whether missing or out of reach."""
    return submissions_visible_to(user).select_related("form", "customer", "lead", "ticket", "inbound").get(pk=pk)
