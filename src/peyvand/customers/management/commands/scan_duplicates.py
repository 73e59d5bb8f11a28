"""`peyvand scan_duplicates`: find suspected duplicate customers among all live ones now (`peyvand worker`
also queues the scan every PEYVAND_DUPLICATE_SCAN_HOURS)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peyvand.customers.duplicates import scan_duplicates


class Command(BaseCommand):
    help = (
        "Find suspected duplicate customers (the same phone, e-mail or national code; similar names) "
        "and queue them for review; open pairs that no longer hold are closed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = scan_duplicates()
        self.stdout.write(
            f"certain: {counts['certain']}, probable: {counts['probable']}, "
            f"new: {counts['created']}, updated: {counts['updated']}, closed: {counts['closed']}"
        )
