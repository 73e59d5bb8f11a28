"""Printable PDFs of sales documents, quotes and invoices: A4, right to left in Persian with joined letters and
Persian digits, left to right in English; the lines, the totals, the payable amount in words.

The layout (`layout`) is generic over a `PrintedDocument` (a title, a number, header facts, a customer, lines and
totals); `documents` builds one from a Quote or an Invoice. Amounts are printed in Rials, as the law wants on
Iranian invoices, whatever unit the site's pages use.

The printed labels (`text`) are kept per language rather than in the message catalogue: a document is printed in
the language asked for (a Persian quote sent from an English screen), like the unit names in core.money.
"""

from peyvand.sales.pdf.documents import (
    invoice_document,
    invoice_pdf,
    invoice_pdf_filename,
    quote_document,
    quote_pdf,
    quote_pdf_filename,
)
from peyvand.sales.pdf.layout import DocumentPDFError, PrintedDocument, font_paths, render_document

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
