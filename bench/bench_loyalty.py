#!/usr/bin/env python
"""Time the classification rules and the points ledger on the benchmark data.

    python bench/bench_loyalty.py [--writes 2000]

Creates three classification rules (unless rules exist), times a full run over every
account, then a second run (nothing changes: it must be cheap and write nothing), then
`--writes` points entries on random accounts and the nightly expiry. Honours DATABASE_URL
like generate.py; run it after generate.py.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
os.environ.setdefault("SECRET_KEY", "guanxi-bench-not-secret")

import django

django.setup()

from django.db.models import Max, Min  # noqa: E402
from django.utils import timezone  # noqa: E402

from guanxi.core.models import AuditEntry  # noqa: E402
from guanxi.customers import classification, points  # noqa: E402
from guanxi.customers.models import Account, ClassificationRule  # noqa: E402

RULES = (
    ("压测：大客户", "grade", "vip", 10, "annual_revenue", "gte", "500000000"),
    ("压测：重要客户", "grade", "important", 20, "employees", "gte", "1000"),
    ("压测：渠道", "relationship", "channel", 10, "account_type", "in", "partner,reseller"),
)


def ensure_rules() -> None:
    if ClassificationRule.objects.exists():
        return
    for name, field, value, priority, metric, operator, operand in RULES:
        ClassificationRule.objects.create(
            name=name,
            field=field,
            value=value,
            priority=priority,
            conditions=[{"metric": metric, "operator": operator, "value": operand}],
        )


def timed(label: str, function):
    start = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:9.2f} s   result {result}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()
    count = Account.objects.count()
    print(f"{count} accounts")
    ensure_rules()
    audit_before = AuditEntry.objects.count()
    first = timed("classify all (first run)", classification.classify_accounts)
    written = AuditEntry.objects.count() - audit_before
    print(f"  {count / first:,.0f} accounts/s; {written} history rows")
    again = timed("classify all (second run, no change)", classification.classify_accounts)
    print(f"  {count / again:,.0f} accounts/s")
    bounds = Account.objects.aggregate(low=Min("id"), high=Max("id"))
    rng = random.Random(7)
    past = timezone.now() - datetime.timedelta(days=1)

    def write() -> int:
        for index in range(args.writes):
            account = Account(pk=rng.randint(bounds["low"], bounds["high"]))
            expires = past if index % 4 == 0 else None
            points.points_earn(
                actor=None,
                account=account,
                points=rng.randint(1, 500),
                reason="压测",
                expires_at=expires,
            )
        return args.writes

    elapsed = timed(f"{args.writes} points earned", write)
    print(f"  {args.writes / elapsed:,.0f} ledger writes/s")
    timed("nightly expiry", points.points_expire_due)


if __name__ == "__main__":
    main()
