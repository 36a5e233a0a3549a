"""The duplicate engine: profiles and blocking keys per record, rules, scoring, lookup.

On every write a record's compared values are normalised once into a profile and a few
blocking keys (same phone, same email, same core name, same spelled name). A check reads
the records sharing a key through one index lookup, then scores those few candidates field
by field: similarity × weight, averaged over the fields both records have.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection, models
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from guanxi.core import registry
from guanxi.core.dedupe import normalize
from guanxi.core.models import DuplicateKey, DuplicateProfile, DuplicateRule
from guanxi.core.registry import DuplicateRules, Entity

MAX_KEY_LENGTH = 100
# A key shared by more records than this (a switchboard number, 张伟) only says little;
# the create-time check reads this many candidates of it, the finder skips the block.
CANDIDATES_PER_KEY = 100
# Fields compared must carry at least this much weight for a full score: a matching
# address alone is not a duplicate.
MIN_EVIDENCE = 0.35
# People and companies have several phone numbers and email addresses: two that differ
# count against a match with this share of the field's weight only.
MULTIPLE_VALUE_METHODS = (normalize.PHONE, normalize.EMAIL)
DISAGREEMENT_SHARE = 0.5
# A field this similar or more is named among the reasons.
REASON_SIMILARITY = 0.6
SAME = 0.995


@dataclass(frozen=True)
class DuplicateMatch:
    """One existing record that looks like the values checked, with why and how sure."""

    record: models.Model
    score: float  # 0..1
    reasons: list[str] = field(default_factory=list)


@dataclass
class DuplicateCheck:
    """The outcome of a check: matches the user may see, and how many others exist."""

    matches: list[DuplicateMatch]
    hidden: int = 0

    def __bool__(self) -> bool:
        return bool(self.matches) or self.hidden > 0


def rules_for(entity: Entity) -> DuplicateRules | None:
    """Return the entity's duplicate rules with the administrator's weights and threshold."""
    if entity.duplicates is None:
        return None
    stored = DuplicateRule.objects.filter(entity=entity.name).first()
    if stored is None:
        return entity.duplicates
    fields = [
        replace(rule, weight=float(stored.weights.get(rule.key, rule.weight)))
        for rule in entity.duplicates.fields
    ]
    return DuplicateRules(fields=fields, threshold=stored.threshold)


def profile_of(entity: Entity, values: Any) -> dict[str, list[str]]:
    """Return {field key: profile value} of a record or of a dict of field values."""
    rules = entity.duplicates
    if rules is None:
        return {}
    result = {}
    for rule in rules.fields:
        sources = rule.sources
        if rule.method == normalize.PHONE and not isinstance(values, dict):
            # A saved record keeps its numbers as E.164 beside them: no parsing again.
            sources = tuple(_stored_phone(values, source) for source in sources)
        raw = [_raw_value(values, source) for source in sources]
        value = normalize.profile(rule.method, raw)
        if value:
            result[rule.key] = value
    return result


def _stored_phone(instance, source: str) -> str:
    stored = _e164_column(type(instance), source)
    return stored if stored and getattr(instance, source, "") else source


@functools.cache
def _e164_column(model: type[models.Model], source: str) -> str:
    """Return the name of the column keeping a phone field as E.164, or ""."""
    stored = f"{source}_e164"
    return stored if any(f.name == stored for f in model._meta.concrete_fields) else ""


def _raw_value(values: Any, source: str):
    if isinstance(values, dict):
        value = values.get(source)
    else:
        value = getattr(values, source + "_id", None) if _is_relation(values, source) else None
        if value is None:
            value = getattr(values, source, None)
    return getattr(value, "pk", value)


def _is_relation(instance: models.Model, source: str) -> bool:
    try:
        return instance._meta.get_field(source).is_relation
    except Exception:  # a property or a name that is not a field
        return False


def keys_of(entity: Entity, profile: dict[str, list[str]]) -> list[str]:
    rules = entity.duplicates
    if rules is None:
        return []
    keys = []
    own: dict[str, list[str]] = {}
    for rule in rules.fields:
        own[rule.key] = normalize.blocking_keys(rule.method, profile.get(rule.key, []))
        keys.extend(f"{rule.key}:{key}"[:MAX_KEY_LENGTH] for key in own[rule.key])
    for first, second in rules.combined_keys:
        if own.get(first) and profile.get(second):
            keys.append(f"{first}+{second}:{own[first][0]}|{profile[second][0]}"[:MAX_KEY_LENGTH])
    return list(dict.fromkeys(keys))


def index_record(entity_name: str, instance) -> None:
    """Replace the blocking keys and profile of one record."""
    entity = registry.get(entity_name)
    if entity.duplicates is None:
        return
    DuplicateKey.objects.filter(entity=entity_name, object_id=instance.pk).delete()
    profile = profile_of(entity, instance)
    DuplicateKey.objects.bulk_create(
        DuplicateKey(entity=entity_name, key=key, object_id=instance.pk)
        for key in keys_of(entity, profile)
    )
    DuplicateProfile.objects.update_or_create(
        entity=entity_name, object_id=instance.pk, defaults={"values": profile}
    )


def index_new_records(entity_name: str, instances: Iterable[models.Model]) -> None:
    """Write the blocking keys and profiles of records just created in bulk (e.g. imported)."""
    entity = registry.get(entity_name)
    if entity.duplicates is None:
        return
    keys, profiles = new_record_rows(entity, instances)
    DuplicateKey.objects.bulk_create(
        [DuplicateKey(entity=entity_name, key=key, object_id=pk) for _e, key, pk in keys],
        batch_size=5000,
    )
    DuplicateProfile.objects.bulk_create(
        [DuplicateProfile(entity=entity_name, object_id=pk, values=v) for _e, pk, v in profiles],
        batch_size=2000,
    )


def new_record_rows(
    entity: Entity, instances: Iterable[models.Model]
) -> tuple[list[tuple[str, str, int]], list[tuple[str, int, dict]]]:
    """Return the rows of saved records' blocking keys and profiles, as index_record has them.

    Keys are (entity, key, object_id), profiles (entity, object_id, values): the columns of
    DuplicateKey and DuplicateProfile, for writers that send rows without model instances.
    """
    keys, profiles = [], []
    if entity.duplicates is None:
        return keys, profiles
    for instance in instances:
        profile = profile_of(entity, instance)
        profiles.append((entity.name, instance.pk, profile))
        keys.extend((entity.name, key, instance.pk) for key in keys_of(entity, profile))
    return keys, profiles


def unindex_records(entity_name: str, object_ids: Iterable[int]) -> None:
    ids = list(object_ids)
    DuplicateKey.objects.filter(entity=entity_name, object_id__in=ids).delete()
    DuplicateProfile.objects.filter(entity=entity_name, object_id__in=ids).delete()


def reindex(entity_name: str, *, batch_size: int = 2000, progress=None) -> int:
    """Rebuild the blocking keys and profiles of every record of an entity."""
    entity = registry.get(entity_name)
    if entity.duplicates is None:
        return 0
    DuplicateKey.objects.filter(entity=entity_name).delete()
    DuplicateProfile.objects.filter(entity=entity_name).delete()
    sources = {source for rule in entity.duplicates.fields for source in rule.sources}
    columns = ["pk", *[_column(entity, source) for source in sorted(sources)]]
    stored = {
        source: f"{source}_e164"
        for rule in entity.duplicates.fields
        if rule.method == normalize.PHONE
        for source in rule.sources
        if any(f.name == f"{source}_e164" for f in entity.model._meta.concrete_fields)
    }
    columns.extend(stored.values())
    last, count = 0, 0
    while True:
        rows = list(
            entity.model._base_manager.filter(pk__gt=last)
            .order_by("pk")
            .values(*columns)[:batch_size]
        )
        if not rows:
            analyze()
            return count
        keys, profiles = [], []
        for row in rows:
            values = {
                source: row.get(stored.get(source) or _column(entity, source))
                or row.get(_column(entity, source))
                for source in sources
            }
            profile = profile_of(entity, values)
            profiles.append(
                DuplicateProfile(entity=entity_name, object_id=row["pk"], values=profile)
            )
            keys.extend(
                DuplicateKey(entity=entity_name, key=key, object_id=row["pk"])
                for key in keys_of(entity, profile)
            )
        DuplicateKey.objects.bulk_create(keys, batch_size=5000)
        DuplicateProfile.objects.bulk_create(profiles, batch_size=2000)
        last = rows[-1]["pk"]
        count += len(rows)
        if progress:
            progress(len(rows))


def analyze() -> None:
    """Refresh PostgreSQL's statistics after bulk writes, so lookups use the key index."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"ANALYZE {DuplicateKey._meta.db_table}, {DuplicateProfile._meta.db_table}"
            )


def analyzed_profiles() -> int:
    """Return how many duplicate profiles PostgreSQL's statistics know of (0 elsewhere).

    A bulk writer need not refresh the statistics until it has written about as many:
    before that, the planner's picture of the key tables is not far off.
    """
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [DuplicateProfile._meta.db_table],
        )
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


def _column(entity: Entity, source: str) -> str:
    model_field = entity.model._meta.get_field(source)
    return model_field.attname if model_field.is_relation else source


def score(rules: DuplicateRules, first: dict, second: dict) -> tuple[float, list[list]]:
    """Return the weighted similarity of two profiles and the reasons, strongest first.

    A reason is [field key, similarity], turned into words by `reason_texts` in the
    reader's language (the finder stores them for readers of either language).
    """
    total = weight_sum = 0.0
    reasons: list[tuple[float, list]] = []
    for rule in rules.fields:
        if rule.weight <= 0 or rule.key not in first or rule.key not in second:
            continue
        similarity = normalize.similarity(rule.method, first[rule.key], second[rule.key])
        total += similarity * rule.weight
        if similarity == 0 and rule.method in MULTIPLE_VALUE_METHODS:
            weight_sum += rule.weight * DISAGREEMENT_SHARE
        else:
            weight_sum += rule.weight
        if similarity >= REASON_SIMILARITY:
            strength = rule.weight + 1 if similarity >= SAME else similarity * rule.weight
            reasons.append((strength, [rule.key, round(similarity, 3)]))
    if not weight_sum:
        return 0.0, []
    value = total / weight_sum * min(1.0, weight_sum / MIN_EVIDENCE)
    return round(value, 3), [reason for _strength, reason in sorted(reasons, key=lambda r: -r[0])]


def reason_texts(entity: Entity, reasons: list[list]) -> list[str]:
    """Return reasons as words: "same phone", "name 94% similar"."""
    labels = {
        rule.key: rule.label for rule in (entity.duplicates.fields if entity.duplicates else [])
    }
    texts = []
    for key, similarity in reasons:
        label = labels.get(key, key)
        if similarity >= SAME:
            texts.append(_("same %(field)s") % {"field": label})
        else:
            texts.append(
                _("%(field)s %(percent)d%% similar")
                % {"field": label, "percent": int(similarity * 100)}
            )
    return texts


def candidate_profiles(entity: Entity, keys: list[str], exclude_pk=None) -> dict[int, dict]:
    """Return {id: profile} of the records sharing one of the keys, a bounded number per key."""
    if not keys:
        return {}
    # One statement: the newest CANDIDATES_PER_KEY records of each key, with their profiles.
    ids = (
        DuplicateKey.objects.filter(entity=entity.name, key__in=keys)
        .annotate(rank=Window(RowNumber(), partition_by=F("key"), order_by=F("object_id").desc()))
        .filter(rank__lte=CANDIDATES_PER_KEY)
        .values("object_id")
    )
    profiles = DuplicateProfile.objects.filter(entity=entity.name, object_id__in=ids)
    found = dict(profiles.values_list("object_id", "values"))
    found.pop(exclude_pk, None)
    return found


def scored_candidates(
    rules: DuplicateRules, profile: dict, candidates: dict[int, dict]
) -> dict[int, tuple[float, list]]:
    """Return {id: (score, reasons)} of the candidates that reach the rules' threshold."""
    scored = {}
    for object_id, other in candidates.items():
        value, reasons = score(rules, profile, other)
        if value >= rules.threshold:
            scored[object_id] = (value, reasons)
    return scored


def visible_records(entity: Entity, ids, user) -> dict[int, models.Model]:
    """Return {id: record} of the records the user may view (all of them without a user)."""
    queryset = entity.model.objects.all()
    if user is not None:
        queryset = entity.model.objects.visible_to(user, "view")
    records = queryset.filter(pk__in=list(ids)).select_related(*entity.select_related)
    return {record.pk: record for record in records}


def best_matches(
    entity: Entity, scored: dict[int, tuple[float, list]], records: dict, limit: int
) -> list[DuplicateMatch]:
    """Return the scored records that are at hand as matches, best first."""
    matches = [
        DuplicateMatch(records[object_id], value, reason_texts(entity, reasons))
        for object_id, (value, reasons) in scored.items()
        if object_id in records
    ]
    matches.sort(key=lambda match: (-match.score, match.record.pk))
    return matches[:limit]


def duplicate_check(
    entity_name: str, values: Any, *, user=None, exclude_pk: int | None = None, limit: int = 10
) -> DuplicateCheck:
    """Return the records that look like `values` (a dict or an unsaved record), best first.

    With `user`, only records that user may view are returned; the others are counted.
    """
    entity = registry.get(entity_name)
    rules = rules_for(entity)
    if rules is None:
        return DuplicateCheck([])
    profile = profile_of(entity, values)
    candidates = candidate_profiles(entity, keys_of(entity, profile), exclude_pk)
    scored = scored_candidates(rules, profile, candidates)
    if not scored:
        return DuplicateCheck([])
    records = visible_records(entity, scored, user)
    return DuplicateCheck(
        best_matches(entity, scored, records, limit), hidden=len(scored) - len(records)
    )


def find_duplicates(
    entity_name: str,
    values: dict[str, Any],
    *,
    user=None,
    exclude_pk: int | None = None,
    limit: int = 10,
) -> list[DuplicateMatch]:
    """Return existing records that look like `values`, best first.

    With `user`, only records that user may view are returned.
    """
    return duplicate_check(
        entity_name, values, user=user, exclude_pk=exclude_pk, limit=limit
    ).matches
