"""`peyvand load_holidays 1405`: add a Jalali year's official holidays to the working calendar."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.service.sla_services import holidays_load_year, official_holiday_years


class Command(BaseCommand):
    help = (
        "Add the official holidays of a Jalali year (e.g. 1405) to the service desk's working calendar. Days already "
        "listed keep their names; running it twice adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int, help="The Jalali year, e.g. 1405.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = holidays_load_year(by=None, year=options["year"])
        except ValidationError as exc:
            years = ", ".join(str(year) for year in official_holiday_years()) or "-"
            raise CommandError(f"{' '.join(exc.messages)} (Lists available: {years}.)") from None
        self.stdout.write(f"{result.year}: added {result.added} holidays, {result.kept} were listed already.")
