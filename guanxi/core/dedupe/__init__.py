"""Duplicate detection and merge (CUS-5, PLT-7).

The entry points (forms, API, import, lead conversion) all call `find_duplicates` or
`duplicate_check`; each entity says what counts as "the same" in its registration
(`Entity.duplicates`), and administrators tune the weights and threshold in Settings.
"""

from guanxi.core.dedupe.engine import (
    DuplicateCheck,
    DuplicateMatch,
    duplicate_check,
    find_duplicates,
    index_new_records,
    index_record,
    new_record_rows,
    reason_texts,
    reindex,
    rules_for,
    score,
    unindex_records,
)

__all__ = [
    "DuplicateCheck",
    "DuplicateMatch",
    "duplicate_check",
    "find_duplicates",
    "index_new_records",
    "index_record",
    "new_record_rows",
    "reason_texts",
    "reindex",
    "rules_for",
    "score",
    "unindex_records",
]
