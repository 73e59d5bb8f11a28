"""Printable PDFs of sales documents (quotes now, invoices next): A4, right to left in Persian with joined
letters and Persian digits, left to right in English; the lines, the totals, the payable amount in words.

The layout is generic over a `PrintedDocument` (a title, a number, header facts, a customer, lines and totals);
`quote_document` builds one from a Quote, and an invoice needs only its own builder. Amounts are printed in
Rials, as the law wants on Iranian invoices, whatever unit the site's pages use.

The printed labels are kept here per language rather than in the message catalogue: a document is printed in
the language asked for (a Persian quote sent from an English screen), like the unit names in core.money.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import get_language
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from peyvand.core.jalali import format_date
from peyvand.core.text import is_persian, to_persian_digits
from peyvand.core.words import number_to_words

__all__ = [
    "DocumentPDFError",
    "PrintedDocument",
    "font_paths",
    "invoice_document",
    "invoice_pdf",
    "invoice_pdf_filename",
    "quote_document",
    "quote_pdf",
    "quote_pdf_filename",
    "render_document",
]

FONT_FAMILY = "Vazirmatn"
PAGE_MARGIN = 12.0  # mm
FOOTER_SPACE = 14.0  # mm kept free at the bottom for the page number

LABELS: dict[str, dict[str, str]] = {
    "fa": {
        "quote": "پیش‌فاکتور",
        "number": "شماره",
        "revision": "ویرایش",
        "date": "تاریخ",
        "valid_until": "اعتبار تا",
        "customer": "مشخصات خریدار",
        "customer_name": "نام",
        "subject": "موضوع",
        "national_id": "شناسه/کد ملی",
        "address": "نشانی",
        "phone": "تلفن",
        "email": "پست الکترونیکی",
        "row": "ردیف",
        "description": "شرح کالا یا خدمت",
        "quantity": "مقدار",
        "unit": "واحد",
        "unit_price": "مبلغ واحد",
        "discount": "تخفیف",
        "amount": "مبلغ کل",
        "gross_total": "جمع کل پیش از تخفیف",
        "discount_total": "جمع تخفیف‌ها",
        "net_total": "جمع پس از تخفیف",
        "vat_total": "مالیات و عوارض ارزش افزوده ({rate}٪)",
        "total": "مبلغ قابل پرداخت",
        "in_words": "مبلغ قابل پرداخت به حروف: {words} ریال",
        "currency_note": "مبالغ به ریال است.",
        "notes": "توضیحات و دلایل فنی",
        "terms": "شرایط",
        "seller_signature": "مهر و امضای فروشنده",
        "buyer_signature": "مهر و امضای خریدار",
        "page": "صفحه {page} از {pages}",
        "draft": "پیش‌نویس",
        "superseded": "جایگزین‌شده با ویرایش بعدی",
        "invoice": "صورتحساب فروش کالا و خدمات",
        "due_date": "سررسید",
        "order": "سفارش",
        "paid": "پرداخت‌شده",
        "balance": "مانده",
        "cancelled": "ابطال‌شده",
        "remarks": "توضیحات",
    },
    "en": {
        "quote": "Quotation",
        "number": "Number",
        "revision": "Revision",
        "date": "Date",
        "valid_until": "Valid until",
        "customer": "Customer",
        "customer_name": "Name",
        "subject": "Subject",
        "national_id": "National ID",
        "address": "Address",
        "phone": "Phone",
        "email": "E-mail",
        "row": "#",
        "description": "Description",
        "quantity": "Qty",
        "unit": "Unit",
        "unit_price": "Unit price",
        "discount": "Discount",
        "amount": "Amount",
        "gross_total": "Total before discounts",
        "discount_total": "Discounts",
        "net_total": "Total after discounts",
        "vat_total": "VAT ({rate}%)",
        "total": "Total payable",
        "in_words": "Total payable in words: {words} Rials",
        "currency_note": "Amounts in Rials.",
        "notes": "Notes and technical reasons",
        "terms": "Terms",
        "seller_signature": "Seller's stamp and signature",
        "buyer_signature": "Customer's stamp and signature",
        "page": "Page {page} of {pages}",
        "draft": "Draft",
        "superseded": "Superseded by a later revision",
        "invoice": "Invoice",
        "due_date": "Due date",
        "order": "Order",
        "paid": "Paid",
        "balance": "Balance",
        "cancelled": "Cancelled",
        "remarks": "Notes",
    },
}


class DocumentPDFError(ImproperlyConfigured):
    """The PDF cannot be made on this installation (its font is missing)."""


@dataclass
class PrintedLine:
    description: str
    quantity: Decimal
    unit: str
    unit_price: int
    discount_percent: Decimal
    discount_amount: int
    net_amount: int


@dataclass
class PrintedDocument:
    """What a printed sales document shows, whatever kind it is."""

    title: str
    number: str
    facts: list[tuple[str, str]]  # label, value: under the number (date, validity, revision…)
    customer: list[tuple[str, str]]  # label, value: the customer block
    lines: list[PrintedLine]
    gross_total: int
    discount_total: int
    net_total: int
    vat_rate_bp: int
    vat_total: int
    total: int
    lang: str
    notes: str = ""
    terms: str = ""
    stamp: str = ""  # a word printed beside the title (draft, superseded)
    sections: list[tuple[str, str]] = field(default_factory=list)  # further titled texts after notes and terms


def font_paths() -> tuple[Path, Path]:
    """The regular and bold Vazirmatn files (installed by `npm ci`), or DocumentPDFError saying so."""
    base = Path(settings.NODE_MODULES) / "vazirmatn" / "fonts" / "ttf"
    regular, bold = base / "Vazirmatn-Regular.ttf", base / "Vazirmatn-Bold.ttf"
    missing = [str(path) for path in (regular, bold) if not path.is_file()]
    if missing:
        raise DocumentPDFError(
            "The PDF font Vazirmatn is missing ("
            + ", ".join(missing)
            + "). Run `npm ci` in the project directory (or set PEYVAND_NODE_MODULES to where it was run)."
        )
    return regular, bold


def _lang(lang: str | None) -> str:
    return "fa" if is_persian(lang or get_language() or settings.LANGUAGE_CODE) else "en"


def _digits(text: object, lang: str) -> str:
    return to_persian_digits(text) if lang == "fa" else str(text)


# A number standing on its own in typed text ("شماره 12"), not part of a Latin code or model name ("DL380").
_LONE_NUMBER = re.compile(r"(?<![A-Za-z0-9_.-])[0-9]+(?:[.,/][0-9]+)*(?![A-Za-z0-9_-])")


def _text(text: str, lang: str) -> str:
    """Typed text as printed: in Persian its free-standing numbers get Persian digits; codes keep theirs."""
    if lang != "fa":
        return text
    return _LONE_NUMBER.sub(lambda match: to_persian_digits(match.group(0)), text)


def _amount(rial: int, lang: str) -> str:
    return _digits(f"{rial:,}", lang)


def _number(value: Decimal, lang: str) -> str:
    """1.500 → 1.5, 2.000 → 2 (۱٫۵ and ۲ in Persian)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return _digits(text or "0", lang)


class _DocumentPDF(FPDF):
    def __init__(self, doc: PrintedDocument, *, pages: int | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc = doc
        self.labels = LABELS[doc.lang]
        self.rtl = doc.lang == "fa"
        self.total_pages = pages
        regular, bold = font_paths()
        self.add_font(FONT_FAMILY, "", str(regular))
        self.add_font(FONT_FAMILY, "B", str(bold))
        # HarfBuzz shapes the text so that Persian letters join; with no direction forced, each paragraph runs
        # in the direction of its first strong letter (the Unicode bidi algorithm), so a Persian customer's name
        # reads right to left on an English document and a Latin product code keeps its order in a Persian one.
        self.set_text_shaping(use_shaping_engine=True)
        self.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        self.set_auto_page_break(auto=True, margin=FOOTER_SPACE + 4)
        self.set_title(f"{doc.title} {doc.number}")
        self.set_creator("Peyvand")
        self.set_lang("fa-IR" if self.rtl else "en")

    # --- helpers that mirror the layout in Persian ----------------------------------------------------------

    @property
    def content_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def start_align(self) -> str:
        return "R" if self.rtl else "L"

    def end_align(self) -> str:
        return "L" if self.rtl else "R"

    def x_of(self, offset: float, width: float) -> float:
        """The left edge of a box `offset` mm from the reading start of the line: from the right in Persian."""
        if self.rtl:
            return self.w - self.r_margin - offset - width
        return self.l_margin + offset

    def text_font(self, size: float, *, bold: bool = False) -> None:
        self.set_font(FONT_FAMILY, "B" if bold else "", size)

    def footer(self) -> None:
        self.set_y(-FOOTER_SPACE)
        self.text_font(8)
        self.set_text_color(110, 110, 110)
        pages = self.total_pages or self.page_no()
        text = self.labels["page"].format(page=self.page_no(), pages=pages)
        self.cell(0, 6, _digits(text, self.doc.lang), align="C")
        self.set_text_color(0, 0, 0)


def _draw_header(pdf: _DocumentPDF) -> None:
    doc = pdf.doc
    top = pdf.get_y()
    half = pdf.content_width / 2
    # The company on the reading start, the title and number on the other side.
    pdf.set_xy(pdf.x_of(0, half), top)
    pdf.text_font(15, bold=True)
    pdf.cell(half, 8, settings.PEYVAND_COMPANY_NAME, align=pdf.start_align(), new_x=XPos.LEFT, new_y=YPos.NEXT)
    details = str(getattr(settings, "PEYVAND_COMPANY_DETAILS", "") or "")
    if details:
        pdf.text_font(8.5)
        pdf.set_x(pdf.x_of(0, half))
        pdf.multi_cell(half, 4.6, _text(details, doc.lang), align=pdf.start_align())
    left_bottom = pdf.get_y()

    pdf.set_xy(pdf.x_of(half, half), top)
    pdf.text_font(17, bold=True)
    title = doc.title + (f"  ({doc.stamp})" if doc.stamp else "")
    pdf.cell(half, 8, title, align=pdf.end_align(), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.text_font(9.5)
    for label, value in [(pdf.labels["number"], doc.number), *doc.facts]:
        pdf.set_x(pdf.x_of(half, half))
        pdf.cell(half, 5.4, f"{label}: {value}", align=pdf.end_align(), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 3)
    pdf.set_draw_color(30, 64, 175)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(3)


def _draw_customer(pdf: _DocumentPDF) -> None:
    doc = pdf.doc
    if not doc.customer:
        return
    top = pdf.get_y()
    width = pdf.content_width
    pdf.set_fill_color(243, 245, 250)
    pdf.text_font(10, bold=True)
    pdf.set_x(pdf.l_margin)
    pdf.cell(
        width,
        7,
        f"  {pdf.labels['customer']}  ",
        align=pdf.start_align(),
        fill=True,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.text_font(9.5)
    for label, value in doc.customer:
        pdf.set_x(pdf.l_margin + 2)
        pdf.multi_cell(
            width - 4, 5.4, f"{label}: {value}", align=pdf.start_align(), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(1)
    pdf.set_draw_color(200, 205, 215)
    pdf.rect(pdf.l_margin, top, width, pdf.get_y() - top)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(4)


# Column widths (mm) in reading order; the description takes what is left of the page's width.
_COLUMNS: list[tuple[str, float]] = [
    ("row", 12),
    ("description", 0),
    ("quantity", 16),
    ("unit", 16),
    ("unit_price", 28),
    ("discount", 24),
    ("amount", 30),
]
_LINE_HEIGHT = 5.2


def _widths(pdf: _DocumentPDF) -> list[float]:
    fixed = sum(width for _name, width in _COLUMNS)
    return [width or pdf.content_width - fixed for _name, width in _COLUMNS]


def _row(
    pdf: _DocumentPDF, texts: Sequence[str], aligns: Sequence[str], *, height: float, fill: bool, bold: bool
) -> None:
    """One table row, its first column on the reading start; every cell as tall as the tallest."""
    y = pdf.get_y()
    offset = 0.0
    pdf.text_font(8.8, bold=bold)
    for text, align, width in zip(texts, aligns, _widths(pdf), strict=True):
        x = pdf.x_of(offset, width)
        pdf.rect(x, y, width, height, style="DF" if fill else "D")
        pdf.set_xy(x + 1, y + 0.8)
        pdf.multi_cell(width - 2, _LINE_HEIGHT, text, align=align, new_x=XPos.RIGHT, new_y=YPos.TOP)
        offset += width
    pdf.set_xy(pdf.l_margin, y + height)


def _line_count(pdf: _DocumentPDF, text: str, width: float) -> int:
    """How many lines `text` takes in a cell `width` wide (at least one)."""
    if not text:
        return 1
    lines = pdf.multi_cell(width, _LINE_HEIGHT, text, dry_run=True, output="LINES")
    return max(len(lines), 1) if isinstance(lines, list) else 1


def _table_header(pdf: _DocumentPDF) -> None:
    pdf.set_fill_color(30, 64, 175)
    pdf.set_text_color(255, 255, 255)
    pdf.set_draw_color(30, 64, 175)
    _row(pdf, [pdf.labels[name] for name, _w in _COLUMNS], ["C"] * len(_COLUMNS), height=8, fill=True, bold=True)
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(190, 196, 210)


def _draw_lines(pdf: _DocumentPDF) -> None:
    doc = pdf.doc
    lang = doc.lang
    widths = _widths(pdf)
    _table_header(pdf)
    bottom = pdf.h - pdf.b_margin
    for index, line in enumerate(doc.lines, start=1):
        discount = ""
        if line.discount_amount:
            discount = (
                _amount(line.discount_amount, lang)
                + "\n"
                + f"({_number(line.discount_percent, lang)}{'٪' if lang == 'fa' else '%'})"
            )
        texts = [
            _digits(index, lang),
            line.description,
            _number(line.quantity, lang),
            line.unit,
            _amount(line.unit_price, lang),
            discount,
            _amount(line.net_amount, lang),
        ]
        pdf.text_font(8.8)
        heights = [_line_count(pdf, text, width - 2) for text, width in zip(texts, widths, strict=True)]
        height = max(heights) * _LINE_HEIGHT + 1.6
        if pdf.get_y() + height > bottom:
            # A new page repeats the table's header, so every page reads on its own.
            pdf.add_page()
            _table_header(pdf)
        center, end = "C", pdf.end_align()
        pdf.set_fill_color(248, 249, 252)
        _row(
            pdf,
            texts,
            [center, pdf.start_align(), center, center, end, end, end],
            height=height,
            fill=index % 2 == 0,
            bold=False,
        )
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(3)


def _draw_totals(pdf: _DocumentPDF) -> None:
    doc = pdf.doc
    lang = doc.lang
    rate = Decimal(doc.vat_rate_bp) / 100
    rows = [
        (pdf.labels["gross_total"], doc.gross_total, False),
        (pdf.labels["discount_total"], doc.discount_total, False),
        (pdf.labels["net_total"], doc.net_total, False),
        (pdf.labels["vat_total"].format(rate=_number(rate, lang)), doc.vat_total, False),
        (pdf.labels["total"], doc.total, True),
    ]
    label_width, value_width = 62.0, 40.0
    height = 7.0
    needed = height * len(rows) + 20
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    # The totals sit under the amount column: on the reading end of the page.
    offset = pdf.content_width - label_width - value_width
    for label, value, strong in rows:
        y = pdf.get_y()
        pdf.set_fill_color(*((225, 232, 250) if strong else (248, 249, 252)))
        pdf.set_draw_color(190, 196, 210)
        pdf.text_font(9.5, bold=strong)
        pdf.set_xy(pdf.x_of(offset, label_width), y)
        pdf.cell(label_width, height, f" {label} ", border=1, align=pdf.start_align(), fill=True)
        pdf.set_xy(pdf.x_of(offset + label_width, value_width), y)
        pdf.cell(value_width, height, f" {_amount(value, lang)} ", border=1, align=pdf.end_align(), fill=True)
        pdf.set_xy(pdf.l_margin, y + height)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(2)
    pdf.text_font(9.5, bold=True)
    words = number_to_words(doc.total, lang)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(
        pdf.content_width,
        5.6,
        pdf.labels["in_words"].format(words=words),
        align=pdf.start_align(),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.text_font(8)
    pdf.set_text_color(110, 110, 110)
    pdf.cell(
        pdf.content_width, 5, pdf.labels["currency_note"], align=pdf.start_align(), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def _draw_texts(pdf: _DocumentPDF) -> None:
    doc = pdf.doc
    sections = [(pdf.labels["notes"], doc.notes), (pdf.labels["terms"], doc.terms), *doc.sections]
    for title, text in sections:
        if not text.strip():
            continue
        pdf.text_font(10, bold=True)
        pdf.set_x(pdf.l_margin)
        pdf.cell(pdf.content_width, 6.5, title, align=pdf.start_align(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.text_font(9)
        pdf.multi_cell(
            pdf.content_width,
            5.2,
            _text(text.strip(), doc.lang),
            align=pdf.start_align(),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(2)


def _draw_signatures(pdf: _DocumentPDF) -> None:
    height = 30.0
    if pdf.get_y() + height + 4 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(3)
    y = pdf.get_y()
    gap = 10.0
    width = (pdf.content_width - gap) / 2
    for index, key in enumerate(("seller_signature", "buyer_signature")):
        x = pdf.x_of(index * (width + gap), width)
        pdf.set_draw_color(160, 166, 180)
        pdf.rect(x, y, width, height)
        pdf.set_xy(x, y + 2)
        pdf.text_font(9)
        pdf.cell(width, 6, pdf.labels[key], align="C")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, y + height)


def _render(doc: PrintedDocument, *, pages: int | None) -> _DocumentPDF:
    pdf = _DocumentPDF(doc, pages=pages)
    pdf.add_page()
    _draw_header(pdf)
    _draw_customer(pdf)
    _draw_lines(pdf)
    _draw_totals(pdf)
    _draw_texts(pdf)
    _draw_signatures(pdf)
    return pdf


def render_document(doc: PrintedDocument) -> bytes:
    """The document as PDF bytes. Laid out twice when it runs over one page: the footers say "page 2 of 3",
    and the count is known only once the lines have been placed."""
    first = _render(doc, pages=None)
    if first.pages_count > 1:
        first = _render(doc, pages=first.pages_count)
    return bytes(first.output())


# --- quotes -------------------------------------------------------------------------------------------------


def _customer_block(customer: Any, lang: str) -> list[tuple[str, str]]:
    labels = LABELS[lang]
    block = [(labels["customer_name"], _text(customer.display_name, lang))]
    if customer.national_id:
        block.append((labels["national_id"], _digits(customer.national_id, lang)))
    address = customer.addresses.order_by("-is_primary", "id").first()
    if address is not None:
        text = str(address) + (f" ({address.postal_code})" if address.postal_code else "")
        block.append((labels["address"], _text(text, lang)))
    phone = customer.phones.order_by("-is_primary", "id").values_list("number", flat=True).first()
    if phone:
        from peyvand.core.phone import format_phone

        # A phone number reads left to right in Persian text too (0۲۱ ۸۸۷۷ …): isolated so bidi keeps its groups.
        block.append((labels["phone"], "\u2066" + _digits(format_phone(phone), lang) + "\u2069"))
    email = customer.emails.order_by("-is_primary", "id").values_list("email", flat=True).first()
    if email:
        block.append((labels["email"], email))
    return block


def quote_document(quote: Any, *, lang: str | None = None) -> PrintedDocument:
    """A Quote as a printed document, in `lang` (default: the active language)."""
    chosen = _lang(lang)
    labels = LABELS[chosen]
    facts = [(labels["date"], format_date(quote.issue_date, chosen))]
    if quote.revision > 1:
        facts.append((labels["revision"], _digits(quote.revision, chosen)))
    if quote.valid_until:
        facts.append((labels["valid_until"], format_date(quote.valid_until, chosen)))
    stamp = {"draft": labels["draft"], "superseded": labels["superseded"]}.get(str(quote.status), "")
    customer = _customer_block(quote.customer, chosen)
    # The title goes first in the customer's block: it says what the proposal is for.
    if quote.title:
        customer.insert(0, (labels["subject"], _text(quote.title, chosen)))
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
            description=_text(line.description, lang),
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
    chosen = _lang(lang)
    labels = LABELS[chosen]
    facts = [
        (labels["date"], format_date(invoice.issue_date, chosen)),
        (labels["due_date"], format_date(invoice.due_date, chosen)),
    ]
    if invoice.order_id:
        facts.append((labels["order"], invoice.order.number))
    facts.append((labels["paid"], _amount(invoice.paid_total, chosen)))
    facts.append((labels["balance"], _amount(invoice.balance, chosen)))
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
