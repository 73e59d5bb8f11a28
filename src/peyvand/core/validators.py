"""Django validators for the Persian core formats: phone numbers, national IDs and typed dates."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .jalali import parse_date
from .national_id import is_valid_legal_id, is_valid_national_code
from .phone import InvalidPhone, normalize_phone

__all__ = ["validate_jalali_or_iso_date", "validate_legal_id", "validate_national_code", "validate_phone"]


def validate_phone(value: str) -> None:
    """Refuse text that is not a dialable phone number in the home region or with a country code."""
    try:
        normalize_phone(str(value))
    except InvalidPhone:
        raise ValidationError(_("Enter a valid phone number, such as 0912 123 4567."), code="invalid_phone") from None


def validate_national_code(value: str) -> None:
    """Refuse text that is not an Iranian national code (کد ملی)."""
    if not is_valid_national_code(str(value)):
        raise ValidationError(
            _("Enter a valid national code: 10 digits with a correct check digit."),
            code="invalid_national_code",
        )


def validate_legal_id(value: str) -> None:
    """Refuse text that is not a legal-entity national ID (شناسه ملی)."""
    if not is_valid_legal_id(str(value)):
        raise ValidationError(
            _("Enter a valid national ID of a legal entity: 11 digits with a correct check digit."),
            code="invalid_legal_id",
        )


def validate_jalali_or_iso_date(value: str | dt.date) -> None:
    """Refuse text that is neither a Jalali date (1403/01/15) nor a Gregorian one (2024-04-03)."""
    # A model DateField hands its validators a date already parsed; nothing is left to check.
    if isinstance(value, dt.date):
        return
    try:
        parse_date(str(value))
    except ValueError:
        raise ValidationError(
            _("Enter a valid date as year/month/day, such as 1403/01/15."), code="invalid_date"
        ) from None
