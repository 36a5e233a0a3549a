"""`guanxi pool_rules`: apply the public pools' return rules now."""

from django.core.management.base import BaseCommand

from guanxi.customers.pool_rules import pools_apply_rules


class Command(BaseCommand):
    help = "Return overdue customers to their public pools and warn their owners, now."

    def handle(self, *args, **options):
        run = pools_apply_rules()
        self.stdout.write(f"pools={len(run.pools)} returned={run.returned} warned={run.warned}")
