"""Validate an import's rows in worker processes while the main process writes.

Checking a row with the entity's form costs more than writing it; with a second core, worker
processes validate the rows ahead (a bounded number of them, in the file's order) while the
importing process checks duplicates and writes. The workers are forked from the importing
process, so they hold the same importer (form, mapping, language, cached look-ups) and
return what `Importer.validate` returns there; each opens its own database connection
for the look-ups a form makes (users).

Used only where that gives the same outcome as validating in the importing process:
outside a transaction that workers could not see into is fine, because the forms checked
here look up users only, never records the import is writing.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator

from django import forms
from django.db import connection, connections

from guanxi.core.models import User
from guanxi.dataio import runner  # the module importing this one: its names are read later

CHUNK_ROWS = 250
AHEAD_CHUNKS = 16  # rows validated ahead: at most CHUNK_ROWS × AHEAD_CHUNKS in memory
MIN_ROWS = 5000  # below this, starting processes costs more than it saves
GC_THRESHOLDS = (100_000, 100, 100)  # during an import, instead of Python's (700, 10, 10)

_importer = None  # the importer of the forking process, inherited by its workers


def usable(importer, total_rows: int) -> bool:
    """Tell whether workers may validate this import's rows."""
    if total_rows < MIN_ROWS or (os.cpu_count() or 1) < 2 or importer.row_form is None:
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if connection.in_atomic_block or (
        connection.vendor == "sqlite" and connection.is_in_memory_db()
    ):
        return False  # the connection cannot be closed before forking, or is the database
    for field_object in importer.row_form.form.fields.values():
        queryset = getattr(field_object, "queryset", None)
        if queryset is not None and queryset.model is not User:
            return False  # a look-up of records that this import may be writing
        if isinstance(field_object, forms.ModelMultipleChoiceField):
            return False
    unique = {f.name for f in importer.entity.model._meta.fields if f.unique and not f.primary_key}
    return not unique & set(importer.row_form.form.fields)


def _validate(rows: list[tuple[int, list[str]]]):
    importer = _importer
    return [
        runner.packed(importer.precompute(importer.validate(number, cells)))
        for number, cells in rows
    ]


class Validator:
    """Yield the outcomes of rows validated by worker processes, in the rows' order."""

    def __init__(self, importer, processes: int | None = None):
        global _importer
        _importer = importer
        # A forked child must not share the parent's database socket.
        connections.close_all()
        # Objects that live through the import (Django's own, the importer's caches) are
        # left out of garbage collection: otherwise it walks them again and again while
        # workers build, and this process unpacks, hundreds of thousands of rows.
        gc.freeze()
        # The rows in flight (thousands of outcomes, read ahead) live through several
        # batches, so at Python's default thresholds they reach the oldest generation and
        # every full collection walks them again: a sixth of this process's time. Rows
        # form no cycles; collecting less often frees the same memory.
        self.thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        # One per core: the importing process mostly waits for the database.
        self.pool = multiprocessing.get_context("fork").Pool(processes or os.cpu_count() or 2)

    def outcomes(self, rows: Iterable[tuple[int, list[str]]]) -> Iterator:
        chunks = iter(lambda: list(itertools.islice(rows, CHUNK_ROWS)), [])
        pending: deque = deque()
        for chunk in itertools.islice(chunks, AHEAD_CHUNKS):
            pending.append(self.pool.apply_async(_validate, (chunk,)))
        while pending:
            done = pending.popleft().get()
            chunk = next(chunks, None)
            if chunk is not None:
                pending.append(self.pool.apply_async(_validate, (chunk,)))
            yield from map(runner.unpacked, done)

    def close(self) -> None:
        global _importer
        self.pool.terminate()
        self.pool.join()
        gc.set_threshold(*self.thresholds)
        gc.unfreeze()
        _importer = None
