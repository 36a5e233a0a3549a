"""`guanxi token USERNAME`: create an API token; the key is the last word printed."""

from django.core.management.base import BaseCommand, CommandError

from guanxi.api.auth import token_create
from guanxi.core.models import User


class Command(BaseCommand):
    help = "Create an API token for a user and print it (the last word of the output)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is not active.")
        key = token_create(user=user, name=name)
        self.stdout.write(f"API token for {username}: {key}")
