"""Run an import: validate each row with the entity's form, check duplicates, write in bulk.

A batch of valid new rows is written with one INSERT per table: the records, their change
history rows, their search keys and the rows that let the import be undone, with numbers
reserved from the numbering rule in one step. Rows that update an existing record go
through the same service as an edit on the screen. "All or nothing" runs in one
transaction; "skip wrong rows" commits each batch and reports the wrong ones.
"""

from __future__ import annotations

import csv
import functools
import itertools
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit, customfields, dedupe, events, registry, search, services
from guanxi.core.choices import Action, AuditAction
from guanxi.core.dedupe.batch import find_duplicates_many, profile_and_keys
from guanxi.core.models import (
    AuditEntry,
    DuplicateKey,
    DuplicateProfile,
    SearchToken,
    Sequence,
    User,
)
from guanxi.core.permissions import OutOfScope, can, scope_q
from guanxi.core.phones import normalize_phone
from guanxi.core.registry import Entity
from guanxi.dataio import bulk, encode, files, mapping, parallel
from guanxi.dataio.choices import DuplicateAction, ErrorMode, ImportStatus, RowAction
from guanxi.dataio.encode import Encoded
from guanxi.dataio.models import ImportRow, ImportRun
from guanxi.dataio.rowform import RowForm

BATCH_SIZE = 1000
KEPT_ERRORS = 100
# The same number is normalised by the form, the duplicate keys and the derived column.
_normalized_phone = functools.lru_cache(maxsize=4096)(normalize_phone)


@dataclass
class Outcome:
    """What happened to one row."""

    number: int
    cells: list[str]
    action: str = "create"  # create, update, skip, error
    errors: dict[str, list[str]] = field(default_factory=dict)
    form: Any = None  # kept only when the form has many-to-many fields to save
    instance: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    match: Any = None
    note: str = ""
    # Computed ahead by a worker process: (duplicate profile, its keys, file keys), and
    # the record's rows as COPY text (encode.Encoded).
    check: Any = None
    encoded: Any = None


def packed(outcome: Outcome) -> Outcome | tuple:
    """Return an outcome as a worker process sends it back: a valid new row that is ready
    to write as a plain tuple (pickled in half the time of the objects), any other as is."""
    encoded = outcome.encoded
    if (
        encoded is None
        or outcome.action != "create"
        or outcome.instance is not None
        or outcome.form is not None
        or outcome.values
    ):
        return outcome
    tables = tuple(encoded.tables.items())
    return (
        outcome.number,
        outcome.cells,
        outcome.check,
        encoded.record,
        tables,
        encoded.owner_id,
        encoded.numbered,
    )


def unpacked(item: Outcome | tuple) -> Outcome:
    """Return the outcome `packed` was given."""
    if type(item) is not tuple:
        return item
    number, cells, check, record, tables, owner_id, numbered = item
    encoded = Encoded(record, dict(tables), owner_id, numbered)
    return Outcome(number, cells, check=check, encoded=encoded)


class _Rollback(Exception):
    pass


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    return audit._plain(value)


def _file_keys(entity: Entity, values: dict[str, Any]) -> list[str]:
    """Return the keys two rows of one file share when they are the same record."""
    keys = []
    name = values.get("name")
    if isinstance(name, str) and name:
        core = search.strip_company_name(name) if entity.name == "account" else ""
        keys.append("n:" + (core or search.normalize(name)))
    for key in ("phone", "mobile"):
        raw = values.get(key)
        phone = _normalized_phone(raw) if isinstance(raw, str) and raw else ""
        if phone:
            keys.append("p:" + phone)
    email = values.get("email")
    if isinstance(email, str) and email.strip():
        keys.append("e:" + email.strip().lower())
    return keys


class Importer:
    """Validate and write the rows of one import on behalf of its user."""

    def __init__(self, run: ImportRun, user: User | None = None):
        self.run = run
        self.user = user or run.user
        self.entity = registry.get(run.entity)
        self.converter = mapping.Converter(self.entity, self.user, run.mapping)
        self.defaults = mapping.form_defaults(self.entity)
        self.labels = {t.key: t.label for t in mapping.targets(self.entity)}
        self.definitions = list(self.converter.definitions.values())
        self.check_duplicates_on = run.duplicate_action != DuplicateAction.CREATE
        self.may_assign = can(self.user, self.entity.name, Action.ASSIGN)
        has_many = any(
            isinstance(field_object, forms.ModelMultipleChoiceField)
            for field_object in self.entity.form_class.base_fields.values()
        )
        self.row_form = None if has_many else RowForm(self.entity, self.user, run.mapping)
        self.derived_phones = [
            (model_field.attname, model_field.name[: -len("_e164")])
            for model_field in self.entity.model._meta.concrete_fields
            if model_field.name.endswith("_e164")
        ]
        self.pending: list[Outcome] = []
        self.encoder = encode.Encoder(self) if bulk.uses_copy() else None
        # Records the planner's statistics know of, and the import's count when they were
        # last refreshed: refreshed again each time the import has written as many.
        self.stats_known = max(BATCH_SIZE, dedupe.engine.analyzed_profiles())
        self.stats_created = 0
        self.counts = {"created": 0, "updated": 0, "skipped": 0, "failed": 0}

    # -- one row ---------------------------------------------------------------------

    def validate(self, number: int, cells: list[str]) -> Outcome:
        """Return what would happen to a row, without writing."""
        outcome = Outcome(number, cells)
        data, errors = self.converter.form_data(cells, self.defaults)
        if self.row_form is not None:
            form = self.row_form.bind(data)
        else:
            form = self.entity.form_class(data, user=self.user)
            outcome.form = form
        if not form.is_valid() or errors:
            outcome.action = "error"
            outcome.errors = {**mapping.form_errors(form, self.labels), **errors}
            outcome.form = None
            return outcome
        outcome.instance = form.instance
        outcome.values = {
            key: value
            for key, value in form.cleaned_data.items()
            if not key.startswith(customfields.FORM_PREFIX)
        }
        return outcome

    def precompute(self, outcome: Outcome) -> Outcome:
        """Compute ahead what checking and writing a valid new row needs, keeping only that.

        Run by worker processes: what they send back is then a few strings per row.
        """
        if outcome.action != "create" or outcome.form is not None:
            return outcome
        file_keys = _file_keys(self.entity, outcome.values) if self.check_duplicates_on else None
        if self.encoder is not None:
            outcome.encoded = self.encoder.encode(outcome)
            if outcome.encoded is not None:
                outcome.instance = None
        encoded = outcome.encoded
        if file_keys is not None:
            if encoded is not None and encoded.profile is not None:
                # The profile and keys the record is stored with, computed once.
                outcome.check = (encoded.profile, encoded.keys, file_keys)
            else:
                outcome.check = (*profile_and_keys(self.entity.name, outcome.values), file_keys)
        if encoded is not None:
            encoded.profile = encoded.keys = None  # not sent twice
        if outcome.check is not None and outcome.instance is None:
            outcome.values = {}
        return outcome

    def check_duplicates(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Mark the valid rows of a batch that duplicate a record or an earlier row.

        Return the rows to take again in the next batch: in update mode, a row repeating
        an earlier row of the same batch must update the record that row creates.
        """
        first_row: dict[str, int] = {}
        looked_up: list[Outcome] = []
        deferred: list[Outcome] = []
        for outcome in outcomes:
            if outcome.action != "create":
                continue
            keys = outcome.check[2] if outcome.check else _file_keys(self.entity, outcome.values)
            same_row = next((first_row[key] for key in keys if key in first_row), None)
            if same_row is None:
                for key in keys:
                    first_row[key] = outcome.number
                looked_up.append(outcome)
            elif self.run.duplicate_action == DuplicateAction.SKIP:
                outcome.action = "skip"
                outcome.note = _("Same as row %(row)s of this file.") % {"row": same_row}
            else:
                outcome.action = "deferred"
                outcome.note = _("Updates the record of row %(row)s.") % {"row": same_row}
                deferred.append(outcome)
        found = find_duplicates_many(
            self.entity.name,
            [outcome.check[:2] if outcome.check else outcome.values for outcome in looked_up],
            user=self.user,
        )
        for outcome, matches in zip(looked_up, found, strict=True):
            if matches:
                self._duplicate(outcome, matches[0])
        return deferred

    def _duplicate(self, outcome: Outcome, match) -> None:
        if self.run.duplicate_action == DuplicateAction.SKIP:
            outcome.action = "skip"
            outcome.note = _("Duplicate of the existing record %(record)s (%(reasons)s).") % {
                "record": match.record,
                "reasons": ", ".join(str(reason) for reason in match.reasons),
            }
        else:
            outcome.action = "update"
            outcome.match = match.record

    # -- writing ---------------------------------------------------------------------

    def add(self, outcome: Outcome) -> None:
        if outcome.action == "create":
            self.pending.append(outcome)
        elif outcome.action == "update":
            self.update(outcome)

    def update(self, outcome: Outcome) -> None:
        """Overwrite the matched record with the row's non-empty cells, as an edit would."""
        record = outcome.match
        base = mapping.record_values(self.entity, record, self.definitions)
        data, errors = self.converter.form_data(outcome.cells, base)
        form = self.entity.form_class(data, instance=record, user=self.user)
        before = {name: _plain(getattr(record, name)) for name in self._edited_fields()}
        before["custom"] = dict(record.custom or {})
        if errors or not form.is_valid():
            outcome.action = "error"
            outcome.errors = {**mapping.form_errors(form, self.labels), **errors}
            return
        try:
            with transaction.atomic():
                saved = services.record_update(
                    actor=self.user, entity=self.entity, form=form, expected_version=None
                )
        except (PermissionDenied, services.StaleRecord):
            outcome.action = "error"
            outcome.errors = {
                "__all__": [
                    _("You may not change the existing record %(record)s.") % {"record": record}
                ]
            }
            return
        ImportRow.objects.create(
            run=self.run,
            row_number=outcome.number,
            object_id=saved.pk,
            action=RowAction.UPDATED,
            before=before,
            version=getattr(saved, "version", None),
        )
        self.counts["updated"] += 1

    def _edited_fields(self) -> list[str]:
        return [
            name
            for name in self.entity.form_class._meta.fields
            if mapping._model_field(self.entity, name) is not None
        ]

    def flush(self) -> None:
        """Write the pending new records of the batch, a few statements per table."""
        if not self.pending:
            return
        outcomes, self.pending = self.pending, []
        with transaction.atomic():
            if self.encoder is not None:
                self._copy_new(outcomes)
            else:
                self._create_new(outcomes)
            # One event per batch; the import's rows name the records.
            events.emit(
                f"{self.entity.name}.imported",
                entity=self.entity.name,
                count=len(outcomes),
                actor_id=self.user.pk,
                import_id=self.run.pk,
            )
        self.counts["created"] += len(outcomes)
        written = self.counts["created"] - self.stats_created
        if written >= self.stats_known:
            # Tables that grew since the planner last looked are read as if still small:
            # the batch duplicate check would scan every key instead of the key index.
            dedupe.engine.analyze()
            self.stats_known += written
            self.stats_created = self.counts["created"]

    def _copy_new(self, outcomes: list[Outcome]) -> None:
        """Write new records and their rows with one COPY per table (PostgreSQL)."""
        encoder = self.encoder
        for outcome in outcomes:
            if outcome.encoded is None and outcome.instance is not None:
                outcome.encoded = encoder.encode(outcome)
        ids = bulk.reserve_ids(self.entity.model, len(outcomes))
        needed = sum(1 for o in outcomes if o.encoded is None or o.encoded.numbered)
        numbers = iter(self._reserve_numbers(needed))
        records: list[str] = []
        tables: dict[Any, list[str]] = {model: [] for model in encode.TABLES}
        owners: list[tuple[int, int | None]] = []
        for outcome, pk in zip(outcomes, ids, strict=True):
            encoded = outcome.encoded
            if encoded is None:  # cells that hold a mark: encoded with the real values
                instance = self._prepared(outcome.instance)
                if self.entity.number_sequence and not getattr(instance, "number", ""):
                    instance.number = next(numbers)
                records.append(encoder.record_line(instance, pk))
                rows = encoder.rows(instance, pk, outcome.number)
                owners.append((pk, getattr(instance, "owner_id", self.user.pk)))
            else:
                number = next(numbers) if encoded.numbered else None
                records.append(encode.fill(encoded.record, pk, number))
                rows = {
                    model: encode.fill(text, pk, number) for model, text in encoded.tables.items()
                }
                owners.append((pk, encoded.owner_id))
            for model, text in rows.items():
                tables[model].append(text)
        bulk.copy_text(self.entity.model, encoder.columns(), "".join(records))
        for outcome, pk in zip(outcomes, ids, strict=True):
            if outcome.form is not None:  # many-to-many values, e.g. participants
                outcome.instance.pk = pk
                outcome.instance._state.adding = False
                outcome.form._save_m2m()
        self._ensure_in_scope(owners)
        for model, texts in tables.items():
            columns = bulk.column_names(model, encode.COLUMNS[model])
            bulk.copy_text(model, columns, "".join(texts))

    def _create_new(self, outcomes: list[Outcome]) -> None:
        """Write new records and their rows with bulk INSERTs (SQLite)."""
        instances = [self._prepared(outcome.instance) for outcome in outcomes]
        needed = [i for i in instances if not getattr(i, "number", "")]
        for instance, number in zip(needed, self._reserve_numbers(len(needed)), strict=False):
            instance.number = number
        self.entity.model.objects.bulk_create(instances, batch_size=500)
        for outcome in outcomes:
            if outcome.form is not None:
                outcome.form._save_m2m()  # many-to-many values, e.g. participants
        self._ensure_in_scope([(i.pk, getattr(i, "owner_id", self.user.pk)) for i in instances])
        self._write_history(instances)
        bulk.insert_rows(
            ImportRow,
            encode.ROW_COLUMNS,
            [
                (self.run.pk, outcome.number, instance.pk, RowAction.CREATED, None, version)
                for outcome, instance in zip(outcomes, instances, strict=True)
                for version in [getattr(instance, "version", None)]
            ],
        )

    def _prepared(self, instance: models.Model) -> models.Model:
        instance.created_by = self.user
        instance.updated_by = self.user
        if hasattr(instance, "owner_id") and instance.owner_id is None:
            instance.owner = self.user
        # Derived lookup columns that the model's save() keeps; bulk_create skips save().
        for attname, source in self.derived_phones:
            setattr(instance, attname, _normalized_phone(getattr(instance, source)))
        if hasattr(instance, "derive_fields"):
            instance.derive_fields()
        return instance

    def _reserve_numbers(self, count: int) -> list[str]:
        """Return the next `count` numbers of the entity's numbering rule, reserved at once."""
        key = self.entity.number_sequence
        if not key or not count:
            return []
        sequence, _created = Sequence.objects.select_for_update().get_or_create(
            key=key, defaults={"prefix": key, "padding": 6}
        )
        first = sequence.next_value
        Sequence.objects.filter(pk=sequence.pk).update(next_value=F("next_value") + count)
        return [sequence.format(first + offset) for offset in range(count)]

    def _ensure_in_scope(self, owners: list[tuple[int, int | None]]) -> None:
        """Refuse records the user could not create: (id, owner id) of each new record."""
        checked = [pk for pk, owner_id in owners if owner_id == self.user.pk or not self.may_assign]
        condition = scope_q(self.user, self.entity.model, Action.CREATE)
        if not checked or condition is None:
            return  # nothing to check, or the user's scope holds every record
        visible = self.entity.model._default_manager.filter(condition, pk__in=checked)
        if visible.count() != len(checked):
            raise OutOfScope

    def _write_history(self, instances: list[models.Model]) -> None:
        """Write the records' history rows, search keys and duplicate keys and profiles."""
        entity, now, batch = self.entity.name, timezone.now(), f"import{self.run.pk}"
        entries, tokens = [], []
        for instance in instances:
            after = audit.snapshot(instance)
            changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [])}
            entries.append(
                (
                    *(entity, instance.pk, str(instance)[:200], AuditAction.CREATE, self.user.pk),
                    *(now, changes, batch, ""),
                )
            )
            if self.entity.search_keys is not None:
                tokens.extend(
                    (entity, instance.pk, key)
                    for key in search.clean_keys(self.entity.search_keys(instance))
                )
        bulk.insert_rows(AuditEntry, encode.AUDIT_COLUMNS, entries)
        bulk.insert_rows(SearchToken, encode.TOKEN_COLUMNS, tokens)
        keys, profiles = dedupe.new_record_rows(self.entity, instances)
        bulk.insert_rows(DuplicateKey, encode.KEY_COLUMNS, keys)
        bulk.insert_rows(DuplicateProfile, encode.PROFILE_COLUMNS, profiles)


class ErrorReport:
    """Write wrong and skipped rows to a CSV file: row number, the original cells, errors."""

    def __init__(self, run: ImportRun):
        self.run = run
        self.handle = None
        self.writer = None
        self.kept: list[dict] = []
        self.count = 0

    def add(self, outcome: Outcome, message: str) -> None:
        if self.writer is None:
            self.handle = self.run.error_report_path.open("w", encoding="utf-8-sig", newline="")
            self.writer = csv.writer(self.handle)
            self.writer.writerow([_("Row"), *self.run.header, _("Errors")])
        width = len(self.run.header)
        cells = (outcome.cells + [""] * width)[:width]
        self.writer.writerow([outcome.number, *cells, message])
        self.count += 1
        if len(self.kept) < KEPT_ERRORS:
            self.kept.append({"row": outcome.number, "message": message})

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def count_rows(run: ImportRun) -> int:
    return files.count_data_rows(run.path, run.file_format, run.encoding, run.delimiter)


def import_preview(run: ImportRun, *, limit: int = 20) -> list[Outcome]:
    """Return what the first rows would become, with their errors, writing nothing."""
    token = customfields.memo_for_request()
    try:
        importer = Importer(run)
        rows = itertools.islice(
            files.data_rows(run.path, run.file_format, run.encoding, run.delimiter), limit
        )
        outcomes = [importer.validate(number, cells) for number, cells in rows]
        if importer.check_duplicates_on:
            for outcome in importer.check_duplicates(outcomes):
                outcome.action = "update"
        return outcomes
    finally:
        customfields.memo_end(token)


def _save_counts(run: ImportRun, importer: Importer, report: ErrorReport, **extra) -> None:
    run.created_count = importer.counts["created"]
    run.updated_count = importer.counts["updated"]
    run.skipped_count = importer.counts["skipped"]
    run.failed_count = importer.counts["failed"]
    run.errors = report.kept
    run.has_error_report = report.count > 0
    for key, value in extra.items():
        setattr(run, key, value)
    run.save()


def import_execute(run: ImportRun, progress=None) -> dict:
    """Run a queued import to its end and return the job's result."""
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    run.status = ImportStatus.RUNNING
    total = count_rows(run)
    run.total_rows = total
    if progress:
        progress.set_total(total)
    token = customfields.memo_for_request()
    report = ErrorReport(run)
    importer = Importer(run)
    validator = parallel.Validator(importer) if parallel.usable(importer, total) else None
    all_or_nothing = run.error_mode == ErrorMode.ALL_OR_NOTHING
    try:
        if all_or_nothing:
            try:
                with transaction.atomic():
                    _process(run, importer, report, progress, validator, stop_writing_on_error=True)
                    if importer.counts["failed"]:
                        raise _Rollback
            except _Rollback:
                failed = importer.counts["failed"]
                importer.counts.update(created=0, updated=0, skipped=0)
                importer.counts["failed"] = failed
                ImportRow.objects.filter(run=run).delete()
                message = _(
                    "%(count)s rows are wrong, so nothing was imported. Correct them and "
                    "import the file again."
                ) % {"count": failed}
                _save_counts(
                    run,
                    importer,
                    report,
                    status=ImportStatus.FAILED,
                    message=message,
                    finished_at=timezone.now(),
                )
                return {"message": message, "import": run.pk}
        else:
            _process(run, importer, report, progress, validator, stop_writing_on_error=False)
    finally:
        if validator is not None:
            validator.close()
        report.close()
        customfields.memo_end(token)
    message = summary(importer.counts)
    _save_counts(
        run, importer, report, status=ImportStatus.DONE, message=message, finished_at=timezone.now()
    )
    return {"message": message, "import": run.pk, **importer.counts}


def summary(counts: dict[str, int]) -> str:
    return (
        _("%(created)s created, %(updated)s updated, %(skipped)s skipped, %(failed)s wrong rows.")
        % counts
    )


def _process(run, importer: Importer, report, progress, validator, *, stop_writing_on_error):
    """Validate, check and write the file a batch at a time."""
    rows = files.data_rows(run.path, run.file_format, run.encoding, run.delimiter)
    if validator is not None:
        validated = validator.outcomes(rows)
    else:
        validated = (importer.validate(number, cells) for number, cells in rows)
    with bulk.commits_without_waiting():
        _batches(run, importer, report, progress, validated, stop_writing_on_error)


def _batches(run, importer: Importer, report, progress, validated, stop_writing_on_error):
    """Check and write validated rows a batch at a time, counting progress after each."""
    carried: list[Outcome] = []
    while True:
        fresh = list(itertools.islice(validated, BATCH_SIZE))
        if not fresh and not carried:
            break
        outcomes = [importer.validate(o.number, o.cells) for o in carried] + fresh
        carried = importer.check_duplicates(outcomes) if importer.check_duplicates_on else []
        writing = not (stop_writing_on_error and importer.counts["failed"])
        for outcome in outcomes:
            if outcome.action in ("create", "update") and writing:
                importer.add(outcome)
            if outcome.action == "error":
                importer.counts["failed"] += 1
                report.add(outcome, mapping.error_text(outcome.errors, importer.labels))
            elif outcome.action == "skip":
                importer.counts["skipped"] += 1
                report.add(outcome, outcome.note)
        if stop_writing_on_error and importer.counts["failed"]:
            importer.pending = []
        else:
            importer.flush()
        if progress:
            progress(len(outcomes) - len(carried))
        ImportRun.objects.filter(pk=run.pk).update(
            created_count=importer.counts["created"],
            updated_count=importer.counts["updated"],
            skipped_count=importer.counts["skipped"],
            failed_count=importer.counts["failed"],
        )
