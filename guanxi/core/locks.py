"""Edit guards: let an app refuse edits of some fields of a record (e.g. under approval).

`register_edit_guard(guard)` adds `guard(actor, entity_name, record, fields) -> {field:
message}`; the generic writes (`record_update`, `records_bulk_update`) call `check_edit`
with the fields an edit changes and refuse the whole edit with `RecordLocked`, a
ValidationError carrying the messages by field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError

EditGuard = Callable[[Any, str, Any, set[str]], dict[str, str]]
_guards: list[EditGuard] = []


class RecordLocked(ValidationError):
    """Refuse an edit of fields that are locked."""


def register_edit_guard(guard: EditGuard) -> None:
    if guard not in _guards:
        _guards.append(guard)


def check_edit(*, actor, entity_name: str, record, fields: Iterable[str]) -> None:
    """Raise RecordLocked when a guard refuses an edit of these fields of the record."""
    changed = set(fields)
    if not changed or not _guards:
        return
    problems: dict[str, list[str]] = {}
    for guard in _guards:
        for field, message in (guard(actor, entity_name, record, changed) or {}).items():
            problems.setdefault(field, []).append(message)
    if problems:
        raise RecordLocked(problems)
