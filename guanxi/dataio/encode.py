"""Turn a new record into the COPY text of every row an import writes for it.

A record brings about twenty rows (the record, its history entry, search keys, duplicate
keys and profile, the undo row). Computing them is most of an import's work and needs only
the validated record, so worker processes do it; what they cannot know yet, the record's
id and number, they write as marks that the writing process replaces once it has
reserved them. The rows are the ones the normal save path writes: the same functions
(audit.snapshot, the entity's search keys, the duplicate engine) compute them.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from dataclasses import dataclass

import orjson
from django.utils import timezone

from guanxi.core import audit, dedupe, search
from guanxi.core.choices import AuditAction
from guanxi.core.models import AuditEntry, DuplicateKey, DuplicateProfile, SearchToken
from guanxi.dataio import bulk
from guanxi.dataio.choices import RowAction
from guanxi.dataio.models import ImportRow

# Marks for what the writing process fills in. Lower case survives `str.lower()` (search
# keys are lower-cased); rows whose cells contain the prefix are written the slow way.
MARK_PREFIX = "@@gx-"
ID_MARK = "@@gx-id-5c1e@@"
NUMBER_MARK = "@@GX-NUMBER-5C1E@@"
NUMBER_MARK_LOWER = NUMBER_MARK.lower()

AUDIT_COLUMNS = [
    "entity",
    "object_id",
    "object_repr",
    "action",
    "actor_id",
    "at",
    "changes",
    "batch",
    "rule",
]
TOKEN_COLUMNS = ["entity", "object_id", "token"]
KEY_COLUMNS = ["entity", "key", "object_id"]
PROFILE_COLUMNS = ["entity", "object_id", "values"]
ROW_COLUMNS = ["run_id", "row_number", "object_id", "action", "before", "version"]
# The tables, in the order they are written: the record's table first.
TABLES = [AuditEntry, SearchToken, DuplicateKey, DuplicateProfile, ImportRow]
COLUMNS = {
    AuditEntry: AUDIT_COLUMNS,
    SearchToken: TOKEN_COLUMNS,
    DuplicateKey: KEY_COLUMNS,
    DuplicateProfile: PROFILE_COLUMNS,
    ImportRow: ROW_COLUMNS,
}


def text(value) -> str:
    """Return a value as a field of PostgreSQL's COPY text format."""
    kind = type(value)
    if kind is str:
        return _escaped(value)
    if value is None:
        return "\\N"
    if kind is int:
        return str(value)
    if isinstance(value, str):  # e.g. a choice's value
        return _escaped(str(value))
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"cannot copy {type(value).__name__}")


def _escaped(value: str) -> str:
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def line(values) -> str:
    return "\t".join(map(text, values)) + "\n"


def json_text(value, encoder=None) -> str | None:
    """Return a value as JSON text that reads back as `json.dumps(value, cls=encoder)` does.

    Written by orjson, several times faster than the json module on the four JSON values
    of a row. What orjson would write its own way (dates and times, dataclasses) it leaves
    to the encoder's `default`, so every value the json module writes reads back the same;
    what orjson cannot write (integers beyond 64 bits, a lone surrogate) goes to the json
    module. Not ASCII-escaped: shorter, and the database reads the same values.
    """
    if value is None:
        return None
    default = _JSON_DEFAULTS.get(encoder)
    if default is None:
        default = _JSON_DEFAULTS[encoder] = (encoder or json.JSONEncoder)().default
    try:
        return orjson.dumps(value, default=default, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, cls=encoder, ensure_ascii=False)


_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
_JSON_DEFAULTS: dict[type | None, object] = {}


@dataclass
class Encoded:
    """The COPY text of one new record's rows, with its id and number as marks."""

    record: str
    tables: dict  # model → text of its rows
    owner_id: int | None  # the importer's id for records without an owner
    numbered: bool  # the number is a mark to fill in
    # The record's duplicate profile and blocking keys, as stored: the duplicate check of
    # the row compares the same (None for entities without duplicate rules).
    profile: dict | None = None
    keys: list | None = None


class Encoder:
    """Encode the new records of one import."""

    def __init__(self, importer):
        self.importer = importer
        self.entity = importer.entity
        self.model = importer.entity.model
        self.fields = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        self.kinds = [bulk.field_kind(field) for field in self.fields]
        self.auto = [
            field
            for field in self.fields
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ]
        self.numbered = bool(self.entity.number_sequence)

    def columns(self) -> list[str]:
        return [self.model._meta.pk.column, *(field.column for field in self.fields)]

    def encode(self, outcome) -> Encoded | None:
        """Return a valid new row's record and rows as COPY text, or None to write it as is."""
        if any(MARK_PREFIX in cell.lower() for cell in outcome.cells):
            return None
        instance = self.importer._prepared(outcome.instance)
        numbered = self.numbered and not getattr(instance, "number", "")
        if numbered:
            instance.number = NUMBER_MARK
        encoded = Encoded(
            self.record_line(instance, ID_MARK),
            {},
            getattr(instance, "owner_id", self.importer.user.pk),
            numbered,
        )
        encoded.tables = self.rows(instance, ID_MARK, outcome.number, encoded)
        return encoded

    def record_line(self, instance, pk) -> str:
        for field in self.auto:
            field.pre_save(instance, add=True)
        values = [str(pk)]
        state = instance.__dict__
        for field, kind in zip(self.fields, self.kinds, strict=True):
            value = state.get(field.attname)
            if type(value) is str:
                values.append(_escaped(value))
                continue
            if kind == "json":
                value = json_text(value, field.encoder)
            elif kind == "datetime" and type(value) is datetime.datetime and value.tzinfo:
                values.append(value.isoformat())  # what PostgreSQL's adapter is given
                continue
            elif kind != "plain" and value is not None:
                value = field.get_db_prep_save(value, bulk.connection)
            values.append(text(value))
        return "\t".join(values) + "\n"

    def rows(self, instance, pk, row_number: int, encoded: Encoded | None = None) -> dict:
        """Return {model: COPY text} of the rows written beside a new record.

        With `encoded`, keep the record's duplicate profile and keys there too.
        """
        importer, name = self.importer, self.entity.name
        after = audit.snapshot(instance)
        changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [])}
        tables = {
            AuditEntry: line(
                [
                    *(name, pk, str(instance)[:200], AuditAction.CREATE.value, importer.user.pk),
                    *(timezone.now(), json_text(changes), f"import{importer.run.pk}", ""),
                ]
            )
        }
        if self.entity.search_keys is not None:
            keys = search.clean_keys(self.entity.search_keys(instance))
            start = f"{_escaped(name)}\t{pk}\t"
            tables[SearchToken] = "".join(f"{start}{_escaped(key)}\n" for key in keys)
        if self.entity.duplicates is not None:
            profile = dedupe.engine.profile_of(self.entity, instance)
            keys = dedupe.engine.keys_of(self.entity, profile)
            start, end = f"{_escaped(name)}\t", f"\t{pk}\n"
            tables[DuplicateKey] = "".join(f"{start}{_escaped(key)}{end}" for key in keys)
            tables[DuplicateProfile] = line([name, pk, json_text(profile)])
            if encoded is not None:
                encoded.profile, encoded.keys = profile, keys
        version = getattr(instance, "version", None)
        tables[ImportRow] = line(
            [importer.run.pk, row_number, pk, RowAction.CREATED.value, None, version]
        )
        return tables


def fill(text_: str, pk: int, number: str | None) -> str:
    """Return encoded rows with the record's id and number in place of their marks."""
    filled = text_.replace(ID_MARK, str(pk))
    if number is not None:
        filled = filled.replace(NUMBER_MARK, number).replace(NUMBER_MARK_LOWER, number.lower())
    return filled
