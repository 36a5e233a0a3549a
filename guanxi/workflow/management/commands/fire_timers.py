"""`guanxi fire_timers`: fire the due timers now (the task worker does it every minute)."""

from django.core.management.base import BaseCommand

from guanxi.workflow import timer_services


class Command(BaseCommand):
    help = "Fire the timers that are due."

    def handle(self, *args, **options):
        self.stdout.write(f"Fired {timer_services.timers_fire()} timers.")
