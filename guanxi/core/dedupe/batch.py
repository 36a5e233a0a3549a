"""The duplicate check of many rows at once, for imports: a few statements per batch.

Checking rows one by one costs a round trip or two each; an import of a million rows
would spend most of its time waiting. Here the blocking keys of every row are read in one
statement, their profiles in another, and the matches the user may see in a third.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from guanxi.core import registry
from guanxi.core.dedupe import engine
from guanxi.core.models import DuplicateKey, DuplicateProfile


def _candidates_by_key(entity_name: str, keys: set[str]) -> dict[str, list[int]]:
    """Return {key: ids} for the newest records of each key, as the single check reads them."""
    found: dict[str, list[int]] = {}
    if connection.vendor == "postgresql":
        # Thousands of keys as one parameter: as a list of placeholders, building and
        # splitting the statement costs more than running it, and as an array psycopg
        # adapts each key in Python; JSON text is written in C.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT key, object_id FROM (
                        SELECT key, object_id, ROW_NUMBER() OVER (
                            PARTITION BY key ORDER BY object_id DESC) AS rank
                        FROM {DuplicateKey._meta.db_table}
                        WHERE entity = %s AND key = ANY(ARRAY(
                            SELECT jsonb_array_elements_text(%s::jsonb)))
                    ) ranked WHERE rank <= %s""",
                [entity_name, json.dumps(list(keys)), engine.CANDIDATES_PER_KEY],
            )
            for key, object_id in cursor.fetchall():
                found.setdefault(key, []).append(object_id)
        return found
    rows = (
        DuplicateKey.objects.filter(entity=entity_name, key__in=keys)
        .annotate(rank=Window(RowNumber(), partition_by=F("key"), order_by=F("object_id").desc()))
        .filter(rank__lte=engine.CANDIDATES_PER_KEY)
        .values_list("key", "object_id")
    )
    for key, object_id in rows:
        found.setdefault(key, []).append(object_id)
    return found


def _profiles(entity_name: str, ids: set[int]) -> dict[int, dict]:
    """Return {id: stored profile} of records."""
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT object_id, "values" FROM {DuplicateProfile._meta.db_table}
                    WHERE entity = %s AND object_id = ANY(%s::bigint[])""",
                [entity_name, "{{{}}}".format(",".join(map(str, ids)))],
            )
            field = DuplicateProfile._meta.get_field("values")
            return {
                object_id: field.from_db_value(value, None, connection)
                for object_id, value in cursor.fetchall()
            }
    return dict(
        DuplicateProfile.objects.filter(entity=entity_name, object_id__in=ids).values_list(
            "object_id", "values"
        )
    )


def profile_and_keys(entity_name: str, values: dict[str, Any]) -> tuple[dict, list[str]]:
    """Return what `find_duplicates_many` compares a row by: its profile and blocking keys."""
    entity = registry.get(entity_name)
    profile = engine.profile_of(entity, values)
    return profile, engine.keys_of(entity, profile)


def find_duplicates_many(
    entity_name: str,
    rows: list[dict[str, Any] | tuple[dict, list[str]]],
    *,
    user=None,
    limit: int = 1,
) -> list[list[engine.DuplicateMatch]]:
    """Return, for each row of values, the existing records that look like it, best first.

    The same rules, keys and scores as `find_duplicates`, for a whole batch of rows. A row
    is a dict of values, or what `profile_and_keys` returned for them (computed elsewhere,
    e.g. in a worker process).
    """
    entity = registry.get(entity_name)
    rules = engine.rules_for(entity)
    if rules is None or not rows:
        return [[] for _row in rows]
    prepared = [
        row if isinstance(row, tuple) else profile_and_keys(entity_name, row) for row in rows
    ]
    profiles = [profile for profile, _keys in prepared]
    row_keys = [keys for _profile, keys in prepared]
    by_key = _candidates_by_key(entity_name, {key for keys in row_keys for key in keys})
    candidate_ids = {object_id for ids in by_key.values() for object_id in ids}
    stored = _profiles(entity_name, candidate_ids)
    scored_rows = [
        engine.scored_candidates(
            rules,
            profile,
            {
                object_id: stored[object_id]
                for key in keys
                for object_id in by_key.get(key, [])
                if object_id in stored
            },
        )
        for profile, keys in zip(profiles, row_keys, strict=True)
    ]
    matched_ids = {object_id for scored in scored_rows for object_id in scored}
    records = engine.visible_records(entity, matched_ids, user) if matched_ids else {}
    return [engine.best_matches(entity, scored, records, limit) for scored in scored_rows]
