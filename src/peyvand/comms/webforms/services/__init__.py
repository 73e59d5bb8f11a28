"""Writes of web forms. Callers import from here; the modules split the work: `builder` (the administrators'
saves), `receiving` (a visitor's submission: token, spam, stored once) and `processing` (what it becomes)."""

from peyvand.comms.webforms.services.builder import FORM_FIELDS, form_create, form_update
from peyvand.comms.webforms.services.processing import process_submission, submission_retry
from peyvand.comms.webforms.services.receiving import Received, client_ip_hash, form_token, submission_receive

__all__ = [
    "FORM_FIELDS",
    "Received",
    "client_ip_hash",
    "form_create",
    "form_token",
    "form_update",
    "process_submission",
    "submission_receive",
    "submission_retry",
]
