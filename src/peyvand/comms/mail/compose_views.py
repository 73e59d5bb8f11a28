"""The page where staff write an e-mail to a customer they can see (queued through the outbox, then its page),
and the files of an outgoing mail, behind the outbox's own scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from peyvand.comms.mail.compose import customer_addresses, mail_compose_send, new_compose_token, sending_mailboxes
from peyvand.comms.mail.forms import ComposeForm
from peyvand.comms.mail.models import OutgoingAttachment
from peyvand.comms.mail.selectors import customer_for_mail, outgoing_attachment_get
from peyvand.comms.outbox.policy import opted_out
from peyvand.core.downloads import stored_file_download
from peyvand.core.http import current_user, query_int
from peyvand.customers.models import Customer


@login_required
@require_http_methods(["GET", "POST"])
def mail_compose(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    source = request.POST if request.method == "POST" else request.GET
    customer_id = query_int(source, "customer") or query_int(request.GET, "customer")
    try:
        if customer_id is None:
            raise Customer.DoesNotExist
        customer = customer_for_mail(user=user, pk=customer_id)
    except Customer.DoesNotExist:
        raise Http404(_("No such customer.")) from None
    mailboxes = list(sending_mailboxes())
    addresses = customer_addresses(customer)
    status = 200
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES, mailboxes=mailboxes, addresses=addresses)
        if form.is_valid():
            data = form.cleaned_data
            try:
                message = mail_compose_send(
                    by=user,
                    customer=customer,
                    account=next(a for a in mailboxes if str(a.pk) == data["account"]),
                    to=data["to"],
                    subject=data["subject"],
                    body=data["body"],
                    files=data["attachments"],
                    token=data["token"],
                    fill_fields=data["fill_fields"],
                    marketing=data["marketing"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return redirect("comms:outbox_message", pk=message.pk)
        status = 422
    else:
        form = ComposeForm(
            initial={"token": new_compose_token(), "account": str(mailboxes[0].pk) if mailboxes else ""},
            mailboxes=mailboxes,
            addresses=addresses,
        )
    context = {
        "form": form,
        "customer": customer,
        "mailboxes": mailboxes,
        "addresses": addresses,
        "refused": bool(opted_out("email", [customer.pk])),
    }
    return render(request, "mail/compose.html", context, status=status)


@login_required
@require_GET
def outgoing_attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    """A file sent with outbox message `pk`, for those who may see that message (there is no public media URL)."""
    try:
        row = outgoing_attachment_get(user=current_user(request), message_id=pk, attachment_id=attachment_id)
    except OutgoingAttachment.DoesNotExist:
        raise Http404(_("No such file.")) from None
    # Offered as a download, never shown inline (a file's type is what its sender said it was).
    return stored_file_download(
        request,
        row.file,
        filename=row.name,
        content_type="application/octet-stream",
        missing=_("The file is missing from the storage."),
    )
