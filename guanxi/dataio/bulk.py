"""Write many rows at once: COPY on PostgreSQL, bulk INSERT elsewhere.

An import writes, per record, the record itself and about twenty rows beside it (search
keys, duplicate keys and profile, history, undo row). Django's bulk_create compiles every
value of every row into one INSERT statement, which costs more than the database's own
work; PostgreSQL's COPY streams the same rows with no SQL to build or parse. SQLite has no
COPY, so there the same rows go through bulk_create.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models

# Field classes whose attribute value is what the database stores, with no preparation.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


def _table_columns(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    quote = connection.ops.quote_name
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(column) for column in columns)
    )
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Return `count` new primary keys from the table's own sequence, in one statement."""
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


class InstanceWriter:
    """Insert unsaved instances of one model and give them their primary keys."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = _table_columns(model)
        self.auto = [
            field
            for field in self.fields
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ]
        self.kinds = [_kind(field) for field in self.fields]

    def insert(self, instances: list[models.Model]) -> None:
        if not instances:
            return
        if not uses_copy():
            self.model.objects.bulk_create(instances, batch_size=500)
            return
        for instance, pk in zip(instances, _reserve_ids(self.model, len(instances)), strict=True):
            instance.pk = pk
        _copy(
            self.model,
            [self.model._meta.pk.column, *(field.column for field in self.fields)],
            (self._row(instance) for instance in instances),
        )
        for instance in instances:
            instance._state.adding = False
            instance._state.db = connection.alias

    def _row(self, instance: models.Model) -> list:
        for field in self.auto:
            field.pre_save(instance, add=True)
        row = [instance.pk]
        for field, kind in zip(self.fields, self.kinds, strict=True):
            value = getattr(instance, field.attname)
            if kind == "json" and value is not None:
                value = json.dumps(value, cls=field.encoder)
            elif kind == "prepared" and value is not None:
                value = field.get_db_prep_save(value, connection)
            row.append(value)
        return row


def _kind(field: models.Field) -> str:
    """Say how a field's value is sent: as it is, as JSON text, or through Django's preparation.

    A subclass that prepares its values itself goes through Django's preparation.
    """
    if type(field) is models.JSONField:
        return "json"
    for base in _PLAIN_FIELDS:
        if (
            isinstance(field, base)
            and type(field).get_prep_value is base.get_prep_value
            and type(field).get_db_prep_value is base.get_db_prep_value
            and type(field).get_db_prep_save is base.get_db_prep_save
        ):
            return "plain"
    return "prepared"


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: list[Sequence], batch_size: int = 2000
) -> None:
    """Insert rows given as tuples of the listed attributes; every column must be listed.

    JSON values are given as Python objects. Primary keys come from the database.
    """
    missing = {field.attname for field in _table_columns(model)} - set(columns)
    if missing:
        raise ValueError(f"{model.__name__}: no value for {sorted(missing)}")
    if not rows:
        return
    if not uses_copy():
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=batch_size
        )
        return
    fields = {field.attname: field for field in _table_columns(model)}
    json_positions = [
        index
        for index, column in enumerate(columns)
        if isinstance(fields[column], models.JSONField)
    ]
    if json_positions:
        rows = [_dump_json(row, json_positions, fields, columns) for row in rows]
    _copy(model, [fields[column].column for column in columns], rows)


def _dump_json(row: Sequence, positions: list[int], fields, columns) -> list:
    row = list(row)
    for index in positions:
        if row[index] is not None:
            row[index] = json.dumps(row[index], cls=fields[columns[index]].encoder)
    return row
