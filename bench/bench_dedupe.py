#!/usr/bin/env python
"""Time duplicate detection at scale: the create-time check and the full scan (CUS-5).

    python bench/bench_dedupe.py [--entity contacts] [--reindex] [--checks 300]

Uses DJANGO_SETTINGS_MODULE=guanxi.settings and honours DATABASE_URL (data from
bench/generate.py). `--reindex` first builds the duplicate keys and profiles of every
record (generate.py writes search keys only), and times that too.

The create-time check is timed on values taken from random existing records and varied
as users type them (name order swapped or spelled in pinyin, phone reformatted, email
upper-cased), as the bench admin: p50/p95/max in ms. The full scan is the finder's job
without the progress bar: blocks read in key order, pairs scored, clusters stored.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")


def varied(entity_name: str, record, rng: random.Random) -> dict:
    """Return a record's values as a user might type them again."""
    from pypinyin import lazy_pinyin

    values = {}
    name = record.name
    if rng.random() < 0.5:
        syllables = lazy_pinyin(name)
        if entity_name == "contact" and len(syllables) > 1:
            name = f"{''.join(syllables[1:]).title()} {syllables[0].title()}"
        else:
            name = name.replace("有限公司", "").replace("股份", "")
    values["name"] = name
    phone_field = "mobile" if entity_name == "contact" else "phone"
    phone = getattr(record, f"{phone_field}_e164", "")
    if phone:
        digits = phone.removeprefix("+86")
        values[phone_field] = f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
    if record.email and rng.random() < 0.5:
        values["email"] = record.email.upper()
    if entity_name == "contact":
        values["account"] = record.account_id
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entity", default="contacts")
    parser.add_argument("--reindex", action="store_true")
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from guanxi.core import dedupe, registry
    from guanxi.core.dedupe.scan import clusters_store, scan
    from guanxi.core.models import DuplicateKey, User

    entity = registry.by_plural(options.entity)
    total = entity.model.objects.count()
    print(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"{total:,} {entity.plural}")
    if options.reindex:
        started = time.monotonic()
        dedupe.reindex(entity.name, batch_size=5000)
        print(f"reindex (keys + profiles, one-off): {time.monotonic() - started:.1f} s")
    print(f"{DuplicateKey.objects.filter(entity=entity.name).count():,} duplicate keys")

    rng = random.Random(options.seed)
    user = User.objects.filter(is_superuser=True).first()
    top = entity.model.objects.order_by("-pk").values_list("pk", flat=True).first()
    timings, found = [], 0
    for _run in range(options.checks):
        record = entity.model.objects.filter(pk__gte=rng.randint(1, top)).order_by("pk").first()
        values = varied(entity.name, record, rng)
        started = time.perf_counter()
        check = dedupe.duplicate_check(entity.name, values, user=user)
        timings.append((time.perf_counter() - started) * 1000)
        found += any(match.record.pk == record.pk for match in check.matches)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"create-time check: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
        f"max {timings[-1]:.1f} ms; the varied record was found {found}/{options.checks}"
    )

    started = time.monotonic()
    groups = scan(entity.name)
    scanned = time.monotonic() - started
    clusters_store(entity.name, groups)
    stored = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"full scan: {scanned:.1f} s ({stored:.1f} s with storing), {len(groups):,} groups, "
        f"peak memory {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
