"""The duplicate finder: every record of an entity compared with those sharing a key.

Not all pairs: the blocking-key index is read in key order, so each block of records with
the same key (phone, email, core name, spelled name) arrives together. Blocks are scored
a batch at a time with their profiles read by id, matching pairs are joined into clusters
(union-find), and the clusters replace the entity's previous ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations

from django.db import connection, transaction
from django.utils.translation import gettext as _

from guanxi.core import registry
from guanxi.core.dedupe.engine import reindex, rules_for, score
from guanxi.core.jobs import job_handler
from guanxi.core.models import DuplicateCluster, DuplicateKey, DuplicateProfile, Job

# Larger blocks say little (a company's switchboard, a very common name) and would cost
# n² comparisons: they are skipped.
MAX_BLOCK = 40
BATCH_IDS = 5000


@dataclass
class Edge:
    score: float
    reasons: list[list] = field(default_factory=list)  # [field key, similarity]


class Clusters:
    """Union-find over record ids, keeping the best score and reasons of each joined pair."""

    def __init__(self):
        self.parent: dict[int, int] = {}
        self.edges: dict[tuple[int, int], Edge] = {}

    def root(self, item: int) -> int:
        parent = self.parent.setdefault(item, item)
        while parent != self.parent[parent]:
            self.parent[parent] = self.parent[self.parent[parent]]
            parent = self.parent[parent]
        self.parent[item] = parent
        return parent

    def join(self, first: int, second: int, edge: Edge) -> None:
        self.edges[(first, second)] = edge
        a, b = self.root(first), self.root(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)

    def groups(self) -> list[dict]:
        members: dict[int, list[int]] = {}
        for item in self.parent:
            members.setdefault(self.root(item), []).append(item)
        edges: dict[int, list[Edge]] = {}
        for (first, _second), edge in self.edges.items():
            edges.setdefault(self.root(first), []).append(edge)
        result = []
        for root, ids in members.items():
            found = edges.get(root, [])
            best: dict[str, float] = {}
            for edge in found:
                for key, similarity in edge.reasons:
                    best[key] = max(best.get(key, 0.0), similarity)
            reasons = [[key, value] for key, value in best.items()]
            result.append(
                {
                    "member_ids": sorted(ids),
                    "score": min(edge.score for edge in found),
                    "reasons": reasons,
                }
            )
        result.sort(key=lambda group: (-group["score"], group["member_ids"][0]))
        return result


def blocks(
    entity_name: str, limits: dict[str, int] | None = None
) -> Iterator[tuple[list[int], int]]:
    """Yield (ids, keys read so far) of each group of records sharing a key, in key order.

    Groups larger than the key's field allows (`limits` by field key, else MAX_BLOCK)
    are skipped.
    """
    limits = limits or {}
    rows = (
        DuplicateKey.objects.filter(entity=entity_name)
        .order_by("key", "object_id")
        .values_list("key", "object_id")
    )
    current_key, current, read = "", [], 0
    chunk = 20000 if connection.vendor == "postgresql" else 2000
    for key, object_id in rows.iterator(chunk_size=chunk):
        if key != current_key:
            if 1 < len(current) <= limits.get(current_key.split(":", 1)[0], MAX_BLOCK):
                yield current, read
            current_key, current = key, []
        current.append(object_id)
        read += 1
    if 1 < len(current) <= limits.get(current_key.split(":", 1)[0], MAX_BLOCK):
        yield current, read


def scan(entity_name: str, progress=None) -> list[dict]:
    """Return the clusters of probable duplicates of an entity, best first."""
    entity = registry.get(entity_name)
    rules = rules_for(entity)
    if rules is None:
        raise ValueError(entity_name)
    clusters = Clusters()
    compared: set[int] = set()  # pairs as first << 32 | second, a fraction of a tuple's size
    batch: list[list[int]] = []
    ids: set[int] = set()
    reported = [0, 0]  # keys read, keys reported to the progress bar

    def flush():
        profiles = dict(
            DuplicateProfile.objects.filter(entity=entity_name, object_id__in=ids).values_list(
                "object_id", "values"
            )
        )
        for block in batch:
            for first, second in combinations(block, 2):
                pair = (first, second) if first < second else (second, first)
                code = pair[0] << 32 | pair[1]
                if code in compared or first not in profiles or second not in profiles:
                    continue
                compared.add(code)
                value, reasons = score(rules, profiles[first], profiles[second])
                if value >= rules.threshold:
                    clusters.join(*pair, Edge(value, reasons))
        if progress:
            progress(reported[0] - reported[1])
            reported[1] = reported[0]
        batch.clear()
        ids.clear()

    limits = {rule.key: rule.max_block for rule in rules.fields}
    for block, read in blocks(entity_name, limits):
        reported[0] = read
        batch.append(block)
        ids.update(block)
        if len(ids) >= BATCH_IDS:
            flush()
    if batch:
        flush()
    return clusters.groups()


def clusters_store(entity_name: str, groups: list[dict], job: Job | None = None) -> int:
    """Replace an entity's stored clusters by new ones."""
    with transaction.atomic():
        DuplicateCluster.objects.filter(entity=entity_name).delete()
        DuplicateCluster.objects.bulk_create(
            (
                DuplicateCluster(
                    entity=entity_name,
                    member_ids=group["member_ids"],
                    size=len(group["member_ids"]),
                    score=group["score"],
                    reasons=group["reasons"],
                    job=job,
                )
                for group in groups
            ),
            batch_size=1000,
        )
    return len(groups)


def scan_and_store(entity_name: str, job: Job | None = None, progress=None) -> list[dict]:
    """Find and store an entity's clusters; keys are built first if there are none yet.

    Records written before duplicate detection existed (or loaded in bulk) have no keys.
    """
    model = registry.get(entity_name).model
    if (
        not DuplicateProfile.objects.filter(entity=entity_name).exists()
        and model._base_manager.exists()
    ):
        reindex(entity_name)
    groups = scan(entity_name, progress=progress)
    clusters_store(entity_name, groups, job)
    return groups


@job_handler("dedupe_scan")
def run_scan_job(job: Job, progress) -> dict:
    """Find an entity's duplicates in the background, with a progress bar."""
    entity_name = job.params["entity"]
    entity = registry.get(entity_name)
    # The bar counts blocking keys read: the scan reads each once, in order.
    progress.set_total(DuplicateKey.objects.filter(entity=entity_name).count())
    groups = scan_and_store(entity_name, job=job, progress=progress)
    records = sum(len(group["member_ids"]) for group in groups)
    message = _("%(groups)d groups of possible duplicates (%(records)d %(entities)s) found.") % {
        "groups": len(groups),
        "records": records,
        "entities": entity.verbose_name_plural,
    }
    return {"message": message, "groups": len(groups), "url": _list_url(entity)}


def _list_url(entity) -> str:
    from django.urls import reverse

    return reverse(entity.url_name("duplicates"))
