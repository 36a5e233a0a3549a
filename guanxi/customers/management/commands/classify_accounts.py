"""`guanxi classify_accounts`: apply the classification rules to every account now."""

from django.core.management.base import BaseCommand

from guanxi.customers import classification


class Command(BaseCommand):
    help = "Apply the active classification rules to every customer (as the nightly task does)."

    def handle(self, *args, **options):
        changed = classification.classify_accounts()
        self.stdout.write(f"Classified: {changed} customers changed.")
