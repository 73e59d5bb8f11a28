"""The words printed on sales documents, per language, and how numbers, amounts and typed text are printed."""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.utils.translation import get_language

from peyvand.core.text import is_persian, to_persian_digits

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


def print_language(lang: str | None) -> str:
    return "fa" if is_persian(lang or get_language() or settings.LANGUAGE_CODE) else "en"


def print_digits(text: object, lang: str) -> str:
    return to_persian_digits(text) if lang == "fa" else str(text)


# A number standing on its own in typed text ("شماره 12"), not part of a Latin code or model name ("DL380").
LONE_NUMBER = re.compile(r"(?<![A-Za-z0-9_.-])[0-9]+(?:[.,/][0-9]+)*(?![A-Za-z0-9_-])")


def print_text(text: str, lang: str) -> str:
    """Typed text as printed: in Persian its free-standing numbers get Persian digits; codes keep theirs."""
    if lang != "fa":
        return text
    return LONE_NUMBER.sub(lambda match: to_persian_digits(match.group(0)), text)


def print_amount(rial: int, lang: str) -> str:
    return print_digits(f"{rial:,}", lang)


def print_number(value: Decimal, lang: str) -> str:
    """1.500 → 1.5, 2.000 → 2 (۱٫۵ and ۲ in Persian)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return print_digits(text or "0", lang)
