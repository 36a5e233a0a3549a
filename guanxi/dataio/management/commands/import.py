"""`guanxi import ENTITY FILE`: load a spreadsheet of historical data, with no size limit."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guanxi.core import registry
from guanxi.core.models import User
from guanxi.dataio import mapping, services
from guanxi.dataio.choices import DuplicateAction, ErrorMode, ImportStatus
from guanxi.dataio.runner import import_execute


class _Printer:
    """Show the job's progress on the terminal instead of in a Job row."""

    def __init__(self, stream):
        self.stream = stream
        self.total = 0
        self.done = 0
        self.started = time.monotonic()

    def set_total(self, total: int) -> None:
        self.total = total

    def __call__(self, done: int) -> None:
        self.done += done
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        self.stream.write(f"\r{self.done:,} / {self.total:,} rows  ({rate:,.0f} rows/s)")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import a CSV or Excel file into an entity (e.g. account) as a user, without the "
        "upload size limit. Columns are mapped like on the import screen unless --mapping "
        "is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("entity")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--user", default="", help="user name to import as (default: first superuser)"
        )
        parser.add_argument(
            "--mapping",
            default="",
            help='JSON {"column header": "field"} or a path to a JSON file holding it',
        )
        duplicates = parser.add_mutually_exclusive_group()
        duplicates.add_argument("--skip", dest="duplicates", action="store_const", const="skip")
        duplicates.add_argument("--update", dest="duplicates", action="store_const", const="update")
        duplicates.add_argument(
            "--create-duplicates", dest="duplicates", action="store_const", const="create"
        )
        parser.add_argument(
            "--all-or-nothing", action="store_true", help="import no row if one is wrong"
        )

    def handle(self, *args, **options):
        user = self._user(options["user"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            run = services.import_from_path(actor=user, entity_name=options["entity"], path=path)
            columns = run.mapping
            if options["mapping"]:
                given = self._mapping(options["mapping"])
                columns = [given.get(header, "") for header in run.header]
            services.import_configure(
                actor=user,
                run=run,
                columns=columns,
                error_mode=ErrorMode.ALL_OR_NOTHING
                if options["all_or_nothing"]
                else ErrorMode.SKIP_BAD_ROWS,
                duplicate_action=options["duplicates"] or DuplicateAction.SKIP,
            )
        except services.ImportProblem as problem:
            details = "; ".join(m for messages in problem.errors.values() for m in messages)
            raise CommandError(f"{problem.message} {details}".strip()) from None
        labels = {target.key: target.label for target in mapping.targets(registry.get(run.entity))}
        for header, target in zip(run.header, run.mapping, strict=False):
            self.stdout.write(f"  {header} → {labels.get(target, '—') if target else '—'}")
        run.status = ImportStatus.QUEUED
        run.save(update_fields=["status"])
        started = time.monotonic()
        result = import_execute(run, _Printer(self.stdout))
        seconds = time.monotonic() - started
        run.refresh_from_db()
        self.stdout.write("")
        self.stdout.write(result["message"])
        if run.has_error_report:
            self.stdout.write(f"Error report: {run.error_report_path}")
        self.stdout.write(
            f"Import {run.pk}: {run.total_rows:,} rows in {seconds:.1f} s "
            f"({run.total_rows / max(seconds, 1e-6):,.0f} rows/s)"
        )
        if run.status != ImportStatus.DONE:
            sys.exit(1)

    def _user(self, username: str) -> User:
        users = User.objects.filter(is_active=True)
        user = (
            users.filter(username=username).first()
            if username
            else users.filter(is_superuser=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError("No such active user; name one with --user.")
        return user

    def _mapping(self, text: str) -> dict[str, str]:
        candidate = Path(text)
        if candidate.is_file():
            text = candidate.read_text(encoding="utf-8")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(f"--mapping is not valid JSON: {error}") from None
        if not isinstance(value, dict):
            raise CommandError('--mapping must be a JSON object {"column header": "field"}')
        return {str(key): str(field) for key, field in value.items()}
