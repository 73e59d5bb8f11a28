"""Quotes and invoices as printed documents (`PrintedDocument`) and as PDF bytes, with their file names."""

from __future__ import annotations

from typing import Any

from peyvand.core.jalali import format_date
from peyvand.sales.pdf.layout import PrintedDocument, PrintedLine, render_document
from peyvand.sales.pdf.text import LABELS, print_amount, print_digits, print_language, print_text


def _customer_block(customer: Any, lang: str) -> list[tuple[str, str]]:
    labels = LABELS[lang]
    block = [(labels["customer_name"], print_text(customer.display_name, lang))]
    if customer.national_id:
        block.append((labels["national_id"], print_digits(customer.national_id, lang)))
    address = customer.addresses.order_by("-is_primary", "id").first()
    if address is not None:
        text = str(address) + (f" ({address.postal_code})" if address.postal_code else "")
        block.append((labels["address"], print_text(text, lang)))
    phone = customer.phones.order_by("-is_primary", "id").values_list("number", flat=True).first()
    if phone:
        from peyvand.core.phone import format_phone

        # A phone number reads left to right in Persian text too (0۲۱ ۸۸۷۷ …): isolated so bidi keeps its groups.
        block.append((labels["phone"], "\u2066" + print_digits(format_phone(phone), lang) + "\u2069"))
    email = customer.emails.order_by("-is_primary", "id").values_list("email", flat=True).first()
    if email:
        block.append((labels["email"], email))
    return block


def quote_document(quote: Any, *, lang: str | None = None) -> PrintedDocument:
    """A Quote as a printed document, in `lang` (default: the active language)."""
    chosen = print_language(lang)
    labels = LABELS[chosen]
    facts = [(labels["date"], format_date(quote.issue_date, chosen))]
    if quote.revision > 1:
        facts.append((labels["revision"], print_digits(quote.revision, chosen)))
    if quote.valid_until:
        facts.append((labels["valid_until"], format_date(quote.valid_until, chosen)))
    stamp = {"draft": labels["draft"], "superseded": labels["superseded"]}.get(str(quote.status), "")
    customer = _customer_block(quote.customer, chosen)
    # The title goes first in the customer's block: it says what the proposal is for.
    if quote.title:
        customer.insert(0, (labels["subject"], print_text(quote.title, chosen)))
    lines = _printed_lines(quote.lines, chosen)
    return PrintedDocument(
        title=labels["quote"],
        number=quote.display_number,
        facts=facts,
        customer=customer,
        lines=lines,
        gross_total=quote.gross_total,
        discount_total=quote.discount_total,
        net_total=quote.net_total,
        vat_rate_bp=quote.vat_rate_bp,
        vat_total=quote.vat_total,
        total=quote.total,
        lang=chosen,
        notes=quote.notes,
        terms=quote.terms,
        stamp=stamp,
    )


def quote_pdf(quote: Any, *, lang: str | None = None) -> bytes:
    return render_document(quote_document(quote, lang=lang))


def quote_pdf_filename(quote: Any) -> str:
    """Q-1405-00042-r2.pdf: ASCII only, so that every mail program and browser keeps it."""
    suffix = f"-r{quote.revision}" if quote.revision > 1 else ""
    return f"{quote.number}{suffix}.pdf"


def _printed_lines(lines: Any, lang: str) -> list[PrintedLine]:
    return [
        PrintedLine(
            description=print_text(line.description, lang),
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            discount_amount=line.discount_amount,
            net_amount=line.net_amount,
        )
        for line in lines.order_by("position", "id")
    ]


def invoice_document(invoice: Any, *, lang: str | None = None) -> PrintedDocument:
    """An Invoice as a printed document (صورتحساب فروش کالا و خدمات): its lines and totals as issued, the due date,
    and what has been paid and what is left at the moment it is printed."""
    chosen = print_language(lang)
    labels = LABELS[chosen]
    facts = [
        (labels["date"], format_date(invoice.issue_date, chosen)),
        (labels["due_date"], format_date(invoice.due_date, chosen)),
    ]
    if invoice.order_id:
        facts.append((labels["order"], invoice.order.number))
    facts.append((labels["paid"], print_amount(invoice.paid_total, chosen)))
    facts.append((labels["balance"], print_amount(invoice.balance, chosen)))
    return PrintedDocument(
        title=labels["invoice"],
        number=invoice.number,
        facts=facts,
        customer=_customer_block(invoice.customer, chosen),
        lines=_printed_lines(invoice.lines, chosen),
        gross_total=invoice.gross_total,
        discount_total=invoice.discount_total,
        net_total=invoice.net_total,
        vat_rate_bp=invoice.vat_rate_bp,
        vat_total=invoice.vat_total,
        total=invoice.total,
        lang=chosen,
        # An invoice's notes are not a proposal's technical reasons: printed under a plain heading.
        sections=[(labels["remarks"], invoice.notes)] if invoice.notes else [],
        stamp=labels["cancelled"] if invoice.status == "cancelled" else "",
    )


def invoice_pdf(invoice: Any, *, lang: str | None = None) -> bytes:
    return render_document(invoice_document(invoice, lang=lang))


def invoice_pdf_filename(invoice: Any) -> str:
    return f"{invoice.number}.pdf"
