"""`peyvand rank_customers`: rebuild every customer's purchase figures and rank by revenue (run it nightly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peyvand.sales.services.customer_value import ranking_recompute


class Command(BaseCommand):
    help = "Recompute customers' revenue, margin, orders and rank from their orders."

    def handle(self, *args: Any, **options: Any) -> None:
        ranked = ranking_recompute()
        self.stdout.write(f"Ranked {ranked} customers.")
