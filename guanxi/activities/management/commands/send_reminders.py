"""`guanxi send_reminders`: send the due activity reminders now."""

from django.core.management.base import BaseCommand

from guanxi.activities.reminders import reminders_send_due


class Command(BaseCommand):
    help = "Send the activity reminders whose time has come (the worker does it every minute)."

    def handle(self, *args, **options):
        run = reminders_send_due()
        self.stdout.write(
            f"reminded={run.reminded} people={run.notified} skipped_too_late={run.skipped}"
        )
