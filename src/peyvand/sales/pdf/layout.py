"""The A4 layout of a printed sales document (fonts, header, customer, lines, totals, signatures), mirrored in
Persian, over a `PrintedDocument` whatever kind it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from peyvand.core.words import number_to_words
from peyvand.sales.pdf.text import LABELS, print_amount, print_digits, print_number, print_text

FONT_FAMILY = "Vazirmatn"
PAGE_MARGIN = 12.0  # mm
FOOTER_SPACE = 14.0  # mm kept free at the bottom for the page number


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
        self.cell(0, 6, print_digits(text, self.doc.lang), align="C")
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
        pdf.multi_cell(half, 4.6, print_text(details, doc.lang), align=pdf.start_align())
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
                print_amount(line.discount_amount, lang)
                + "\n"
                + f"({print_number(line.discount_percent, lang)}{'٪' if lang == 'fa' else '%'})"
            )
        texts = [
            print_digits(index, lang),
            line.description,
            print_number(line.quantity, lang),
            line.unit,
            print_amount(line.unit_price, lang),
            discount,
            print_amount(line.net_amount, lang),
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
        (pdf.labels["vat_total"].format(rate=print_number(rate, lang)), doc.vat_total, False),
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
        pdf.cell(value_width, height, f" {print_amount(value, lang)} ", border=1, align=pdf.end_align(), fill=True)
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
            print_text(text.strip(), doc.lang),
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
