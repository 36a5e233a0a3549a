"""`guanxi send_digests`: send the daily digests due this hour, or one user's now."""

from django.core.management.base import BaseCommand, CommandError

from guanxi.activities.digest import digest_send, digests_send_due
from guanxi.core.models import User


class Command(BaseCommand):
    help = (
        "Send the daily digest emails of the users whose digest hour it is (the worker does "
        "it hourly); with --user, send that user's digest now, whatever the hour."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username: send this user's digest now")

    def handle(self, *args, **options):
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
            sent = digest_send(user)
            self.stdout.write(f"sent={int(sent)}" + ("" if sent else " (nothing to say)"))
            return
        run = digests_send_due(queue=False)
        self.stdout.write(
            f"due={run.due} sent={run.sent} nothing_to_say={run.empty} failed={run.failed}"
        )
