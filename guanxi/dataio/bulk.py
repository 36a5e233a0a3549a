"""Write many rows at once: COPY on PostgreSQL, bulk INSERT elsewhere.

An import writes, per record, the record itself and about twenty rows beside it (search
keys, duplicate keys and profile, history, undo row). Django's bulk_create compiles every
value of every row into one INSERT statement, which costs more than the database's own
work; PostgreSQL's COPY streams the same rows as text with no SQL to build or parse
(`guanxi.dataio.encode` writes that text). SQLite has no COPY, so there the same rows go
through bulk_create.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from django.db import DatabaseError, connection, models

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


@contextlib.contextmanager
def commits_without_waiting() -> Iterator[None]:
    """Let commits return before PostgreSQL has flushed them to disk, for a bulk writer.

    An import commits every batch of 1,000 rows and each commit used to wait for the disk
    (about 40 ms on a virtual disk), with the importing process idle. Without waiting,
    a server crash can lose the last fraction of a second of commits, never part of one
    and never out of order: a batch, its undo rows and the import's counts after it are
    lost together or kept together. The first commit after the block waits for all
    before it, so the import's final state is on disk when the import says it is done.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        # In a failed transaction the reset fails too, and the rollback undoes the setting.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def field_kind(field: models.Field) -> str:
    """Say how a field's value is sent: as it is, as JSON text, or through Django's preparation.

    A subclass that prepares its values itself goes through Django's preparation.
    """
    if type(field) is models.JSONField:
        return "json"
    if type(field) is models.DateTimeField:
        return "datetime"  # an aware value is sent as it is; anything else is prepared
    for base in _PLAIN_FIELDS:
        if (
            isinstance(field, base)
            and type(field).get_prep_value is base.get_prep_value
            and type(field).get_db_prep_value is base.get_db_prep_value
            and type(field).get_db_prep_save is base.get_db_prep_save
        ):
            return "plain"
    return "prepared"


def copy_text(model: type[models.Model], columns: Sequence[str], text: str) -> None:
    """COPY rows already in PostgreSQL's text format into a model's table."""
    if not text:
        return
    quote = connection.ops.quote_name
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(column) for column in columns)
    )
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(text.encode())


def column_names(model: type[models.Model], attnames: Sequence[str]) -> list[str]:
    """Return the table columns of attributes, checking that every column is given."""
    missing = {
        field.attname for field in model._meta.concrete_fields if not field.primary_key
    } - set(attnames)
    if missing:
        raise ValueError(f"{model.__name__}: no value for {sorted(missing)}")
    return [model._meta.get_field(attname).column for attname in attnames]


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Return `count` new primary keys from the table's own sequence, in one statement."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: list[Sequence]) -> None:
    """Insert rows given as tuples of the listed attributes, with bulk INSERTs."""
    column_names(model, columns)
    model.objects.bulk_create(
        [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=2000
    )
