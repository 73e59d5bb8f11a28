"""Document numbers: a prefix, the Jalali year and a counter per kind and year (INV-1405-00042), gap-free and
never given twice, also when two people save at the same moment."""

from __future__ import annotations

from datetime import date

import jdatetime
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from peyvand.sales.models import DocumentSequence

# Kind → the prefix its numbers carry. Latin letters: numbers are typed into bank transfers and other systems,
# and a ticket number in an e-mail subject ([T-1405-00042]) finds its ticket.
PREFIXES = {"quote": "Q", "order": "SO", "invoice": "INV", "contract": "CT", "ticket": "T"}


def next_number(kind: str, *, on: date | None = None) -> str:
    """The next number of `kind` in the Jalali year of `on` (today in the site's time zone by default).

    Must run inside the transaction that saves the document: the counter's row stays locked until it commits
    (an UPDATE locks it on PostgreSQL; SQLite's write transactions are serial), and a rolled-back save gives
    its number back.
    """
    prefix = PREFIXES[kind]
    day = on or timezone.localdate()
    year = jdatetime.date.fromgregorian(date=day).year
    for _attempt in range(3):
        if DocumentSequence.objects.filter(kind=kind, year=year).update(last=F("last") + 1):
            last = DocumentSequence.objects.filter(kind=kind, year=year).values_list("last", flat=True).get()
            return f"{prefix}-{year}-{last:05d}"
        try:
            with transaction.atomic():
                DocumentSequence.objects.create(kind=kind, year=year, last=1)
            return f"{prefix}-{year}-00001"
        except IntegrityError:
            continue  # someone else made the year's row first: count on it
    raise RuntimeError(f"Could not take the next {kind} number")
