"""`guanxi care_run [--date YYYY-MM-DD]`: create the due care tasks now (also daily)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from guanxi.service.services import care_run


class Command(BaseCommand):
    help = "Create the care tasks of birthdays and other yearly dates that are due."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as on this day (YYYY-MM-DD); default today.")

    def handle(self, *args, date=None, **options):
        day = None
        if date:
            try:
                day = datetime.date.fromisoformat(date)
            except ValueError as error:
                raise CommandError(f"Not a date (YYYY-MM-DD): {date}") from error
        result = care_run(day=day)
        self.stdout.write(
            f"Created {result.created} care tasks; {result.existing} existed already; "
            f"{result.unassigned} had nobody to do them."
        )
