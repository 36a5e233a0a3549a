"""`guanxi dedupe accounts|contacts [--json]`: find duplicates, store and print the groups."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from guanxi.core import registry
from guanxi.core.dedupe import reason_texts, reindex
from guanxi.core.dedupe.scan import scan_and_store


class Command(BaseCommand):
    help = (
        "Find the groups of probable duplicates of accounts or contacts, store them for the "
        "Duplicates screen and print them (--json for scripts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("entity", help="accounts or contacts (plural or singular)")
        parser.add_argument("--json", action="store_true", help="Print the groups as JSON.")
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="Rebuild the duplicate keys first (after loading data in bulk).",
        )

    def handle(self, *args, entity, json: bool, reindex: bool, **options):
        found = registry.by_plural(entity) or registry.find(entity)
        if found is None or found.duplicates is None:
            choices = [e.plural for e in registry.entities() if e.duplicates is not None]
            raise CommandError(f"Unknown entity {entity!r}; choose one of {', '.join(choices)}.")
        started = time.monotonic()
        if reindex:
            count = _reindex(found.name)
            self.stderr.write(
                f"Reindexed {count} {found.plural} in {time.monotonic() - started:.1f} s"
            )
        groups = scan_and_store(found.name)
        names = _names(found, groups)
        rows = [
            {
                "score": group["score"],
                "reasons": reason_texts(found, group["reasons"]),
                "similarities": {key: value for key, value in group["reasons"]},
                "records": [{"id": pk, "name": names.get(pk, "")} for pk in group["member_ids"]],
            }
            for group in groups
        ]
        if json:
            self.stdout.write(_dumps(rows))
            return
        for row in rows:
            members = " | ".join(f"#{r['id']} {r['name']}" for r in row["records"])
            self.stdout.write(f"{row['score']:.0%}  {members}  ({'; '.join(row['reasons'])})")
        elapsed = time.monotonic() - started
        self.stdout.write(f"{len(rows)} groups of {found.plural} in {elapsed:.1f} s")


def _reindex(entity_name: str) -> int:
    return reindex(entity_name)


def _names(entity, groups: list[dict]) -> dict[int, str]:
    ids = [pk for group in groups for pk in group["member_ids"]]
    names: dict[int, str] = {}
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        names.update(
            (record.pk, str(record)) for record in entity.model._base_manager.filter(pk__in=chunk)
        )
    return names


def _dumps(rows) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2)
