"""`guanxi fetch_mail [--mailbox ID]`: fetch incoming email now, without the worker."""

from django.core.management.base import BaseCommand, CommandError

from guanxi.activities import mail_fetch
from guanxi.activities.models import Mailbox


class Command(BaseCommand):
    help = "Fetch new email of every active mailbox (or of one) and file it on the timelines."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", type=int, help="id of the one mailbox to fetch")

    def handle(self, *args, mailbox=None, **options):
        if mailbox is not None:
            if not Mailbox.objects.filter(pk=mailbox, is_active=True).exists():
                raise CommandError(f"No active mailbox with id {mailbox}.")
            ids = [mailbox]
        else:
            ids = mail_fetch.active_mailbox_ids()
        failed = 0
        for mailbox_id in ids:
            result = mail_fetch.mailbox_fetch(mailbox_id)
            name = Mailbox.objects.get(pk=mailbox_id).name
            if result.busy:
                self.stdout.write(f"{name}: being fetched by a worker, left alone")
            elif result.error:
                failed += 1
                self.stderr.write(f"{name}: {result.error}")
            else:
                self.stdout.write(
                    f"{name}: {result.stored} stored, {result.duplicates} already there, "
                    f"{result.broken} unreadable"
                )
        if failed:
            raise CommandError(f"{failed} mailbox(es) could not be fetched.")
