"""`peyvand seed_demo --customers N`: fill the database with realistic Persian demo staff and customers."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from peyvand.comms.demo import seed_channels
from peyvand.customers import demo, search_index
from peyvand.customers.models import Customer
from peyvand.sales import demo as sales_demo
from peyvand.sales.demo_work import seed_sales_work
from peyvand.service.demo import seed_service


class Command(BaseCommand):
    help = "Create demo teams, staff log-ins and N realistic Persian customers with their history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=1000, help="how many customers to add")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if there are customers already")
        parser.add_argument(
            "--batch-size", type=int, default=20000, help="customers per transaction (fewer commits are faster)"
        )

    def handle(
        self, *args: Any, customers: int, seed: int | None, if_empty: bool, batch_size: int, **options: Any
    ) -> None:
        if if_empty and Customer.objects.exists():
            self.stdout.write("Customers exist already; nothing to do (--if-empty).")
            return
        if customers < 0 or batch_size < 1:
            self.stderr.write("--customers must be 0 or more and --batch-size 1 or more.")
            sys.exit(2)
        # A run killed while PostgreSQL's search indexes were dropped left them missing; put them back.
        search_index.ensure_search_index(connection)
        staff = demo.ensure_staff()
        tty = self.stderr.isatty()

        def progress(done: int, seconds: float) -> None:
            if tty or done == customers or done % (batch_size * 20) == 0:
                rate = done / seconds if seconds else 0
                end = "\r" if tty and done < customers else "\n"
                self.stderr.write(f"  {done:,}/{customers:,} customers, {seconds:.0f} s, {rate:,.0f}/s", ending=end)
                self.stderr.flush()

        seconds = (
            demo.seed_customers(
                count=customers,
                seed=seed,
                staff=staff,
                batch_size=batch_size,
                progress=progress,
                note=lambda text: self.stderr.write(f"  {text}"),
            )
            if customers
            else 0.0
        )
        sales = sales_demo.seed_sales(
            seed=seed,
            staff=staff,
            if_empty=True,
            max_customers=min(customers, sales_demo.MAX_CUSTOMERS),
            note=lambda text: self.stderr.write(f"  {text}"),
        )
        if sales is not None:  # leads, the agenda, contracts and targets go with the demo's own sales only
            seed_sales_work(seed=seed, staff=staff, if_empty=True, note=lambda text: self.stderr.write(f"  {text}"))
        if customers:  # the desk's tickets are the demo customers' own
            seed_service(seed=seed, staff=staff, if_empty=True, note=lambda text: self.stderr.write(f"  {text}"))
        seed_channels(staff=staff, note=lambda text: self.stderr.write(f"  {text}"))
        self.stdout.write(
            self.style.SUCCESS(f"Added {customers:,} customers in {seconds:.1f} s ({connection.vendor}).")
        )
        self.stdout.write("Demo log-ins (user / password):")
        for username, password in demo.PASSWORDS.items():
            user = staff.users[username]
            team = f", {user.team.name}" if user.team else ""
            self.stdout.write(f"  {username:10} {password:16} {user.get_role_display()}{team}")
