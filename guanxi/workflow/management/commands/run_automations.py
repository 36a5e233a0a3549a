"""`guanxi run_automations`: run the due time-based rules and retries now (also periodic)."""

from django.core.management.base import BaseCommand

from guanxi.workflow import automation_engine, automation_scans, timer_services


class Command(BaseCommand):
    help = "Run the due date, no-activity and scheduled automation rules, retries and timers."

    def handle(self, *args, **options):
        recorded = automation_scans.scan_due()
        automation_engine.runs_release_stuck()
        retried = automation_engine.runs_retry_due()
        fired = timer_services.timers_fire()
        self.stdout.write(
            f"Recorded {recorded} rule runs; retried {retried} runs; fired {fired} timers."
        )
