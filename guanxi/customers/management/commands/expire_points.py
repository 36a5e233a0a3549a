"""`guanxi expire_points`: expire the loyalty points whose validity ended."""

from django.core.management.base import BaseCommand

from guanxi.customers import points


class Command(BaseCommand):
    help = "Expire unspent loyalty points past their expiry time (as the nightly task does)."

    def handle(self, *args, **options):
        written = points.points_expire_due()
        self.stdout.write(f"Expired points on {written} customers.")
