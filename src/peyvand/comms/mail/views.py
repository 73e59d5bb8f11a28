"""E-mail pages: the incoming mails (scoped like the customers they came from) with each mail and its files,
and the mailboxes with their last poll and a "poll now" button (administrators)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from peyvand.accounts.models import Role
from peyvand.comms.mail import selectors
from peyvand.comms.mail.services import mailbox_poll_now, require_mail_admin
from peyvand.comms.models import ChannelAccount, InboundAttachment, InboundMessage, InboundStatus
from peyvand.core.downloads import stored_file_download
from peyvand.core.http import current_user, list_page, query_int
from peyvand.core.text import is_persian

STATUS_BADGES: dict[str, str] = {
    InboundStatus.PROCESSED: "text-bg-success",
    InboundStatus.UNMATCHED: "text-bg-warning",
    InboundStatus.IGNORED: "text-bg-secondary",
    InboundStatus.FAILED: "text-bg-danger",
}


@login_required
@require_GET
def mail_inbox(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    status = request.GET.get("status", "")
    status = status if status in InboundStatus.values else ""
    q = (request.GET.get("q") or "").strip()[:100]
    listing = list_page(
        request,
        lambda cursor: selectors.inbound_mail_list(
            user=user, status=status, q=q, cursor=cursor, limit=int(getattr(settings, "PEYVAND_PAGE_SIZE", 50))
        ),
    )
    context: dict[str, Any] = {
        **listing.context(),
        "status": status,
        "q": q,
        "statuses": InboundStatus.choices,
        "badges": STATUS_BADGES,
        "is_admin": user.is_admin_role,
        "sees_unmatched": user.is_admin_role or user.role == Role.MANAGER,
    }
    return render(request, "mail/inbox.html", context)


def _related_link(mail: InboundMessage) -> tuple[str, str] | None:
    """(label, url) of what the mail became, when it has a page."""
    from django.urls import NoReverseMatch, reverse

    related = mail.related
    if related is None:
        return None
    ticket = getattr(related, "ticket", None) if related._meta.model_name == "ticketmessage" else None
    try:
        if ticket is not None or related._meta.model_name == "ticket":
            ticket = ticket or related
            return _("Ticket %(number)s") % {"number": ticket.number}, reverse(
                "service:ticket_detail", args=[ticket.pk]
            )
        if related._meta.model_name == "lead":
            return _("Lead: %(name)s") % {"name": related}, reverse("sales:lead_detail", args=[related.pk])
    except NoReverseMatch:
        return None
    return None


@login_required
@require_GET
def mail_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        mail = selectors.inbound_mail_get(user=user, pk=pk)
    except InboundMessage.DoesNotExist:
        raise Http404(_("No such e-mail.")) from None
    context = {
        "mail": mail,
        "attachments": list(mail.attachments.order_by("id")),
        "refused": mail.raw.get("refused_attachments", []) if isinstance(mail.raw, dict) else [],
        "headers": mail.raw.get("headers", {}) if isinstance(mail.raw, dict) else {},
        "badge": STATUS_BADGES.get(mail.status, "text-bg-light"),
        "related_link": _related_link(mail),
    }
    return render(request, "mail/message.html", context)


@login_required
@require_GET
def mail_attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    """The only way to a mail's file: the mail's scope is checked first (there is no public media URL)."""
    try:
        row = selectors.mail_attachment_get(user=current_user(request), message_id=pk, attachment_id=attachment_id)
    except (InboundMessage.DoesNotExist, InboundAttachment.DoesNotExist):
        raise Http404(_("No such file.")) from None
    # What a stranger mailed is offered as a download, never shown inline by the browser.
    return stored_file_download(
        request,
        row.file,
        filename=row.name,
        content_type="application/octet-stream",
        missing=_("The file is missing from the storage."),
    )


@login_required
@require_GET
def mailboxes(request: HttpRequest) -> HttpResponse:
    require_mail_admin(current_user(request))
    return render(request, "mail/mailboxes.html", {"rows": selectors.mailbox_rows()})


@login_required
@require_POST
def mailbox_poll(request: HttpRequest) -> HttpResponse:
    """Queues the poll for the workers and says so; the mailbox page shows its outcome once it has run."""
    user = current_user(request)
    require_mail_admin(user)
    try:
        queued = mailbox_poll_now(by=user, account_id=query_int(request.POST, "account"))
    except ValidationError:
        messages.error(request, _("No such mailbox."))
        return redirect("comms:mail:mailboxes")
    if not queued.account_ids:
        messages.info(request, _("No mailbox has an IMAP server to poll."))
        return redirect("comms:mail:mailboxes")
    names = ChannelAccount.objects.filter(pk__in=queued.account_ids).order_by("name").values_list("name", flat=True)
    messages.success(
        request,
        _("Poll queued for %(names)s: new mails appear once a worker has fetched them; reload this page to see.")
        % {"names": "، ".join(names) if is_persian() else ", ".join(names)},
    )
    return redirect("comms:mail:mailboxes")
