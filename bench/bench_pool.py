"""Time the public pool at scale: pool page, scoped list with pool visibility, nightly rule.

Run after `generate.py` on the same database:

    python bench/bench_pool.py [--pooled 20000] [--due 5000] [--warned 5000]

It puts `--pooled` customers into a pool open to the bench role, gives every owned customer
an owner-since time and a recent follow-up, makes `--due` of them overdue and `--warned`
close to due, then times the screens and one run of the return rule. It changes the data:
run it on a bench database only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from guanxi.core.models import Role, User  # noqa: E402
from guanxi.customers.models import Account, Pool  # noqa: E402
from guanxi.customers.pool_rules import pools_apply_rules  # noqa: E402


def prepare(pooled: int, due: int, warned: int) -> Pool:
    pool, _created = Pool.objects.get_or_create(
        name="压测公海", defaults={"days_without_follow_up": 30, "warning_days": 3}
    )
    pool.roles.set(Role.objects.filter(name="压测销售代表"))
    table = Account._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET owned_at = created_at, pool_id = NULL, pooled_at = NULL,"
            " pool_warned_at = NULL, last_followed_up_at = %s",
            [now - timezone.timedelta(days=1)],
        )
        cursor.execute(
            f"SELECT id, owner_id FROM {table} ORDER BY id LIMIT %s", [pooled + due + warned]
        )
        rows = cursor.fetchall()
    ids = [row[0] for row in rows]
    chunks = (
        (ids[:pooled], "owner_id = NULL, pool_id = %s, pooled_at = %s", [pool.pk, now]),
        (
            ids[pooled : pooled + due],
            "pool_id = %s, last_followed_up_at = %s",
            [pool.pk, now - timezone.timedelta(days=40)],
        ),
        (
            ids[pooled + due :],
            "pool_id = %s, last_followed_up_at = %s",
            [pool.pk, now - timezone.timedelta(days=28)],
        ),
    )
    with connection.cursor() as cursor:
        for chunk, assignment, params in chunks:
            for start in range(0, len(chunk), 5000):
                part = chunk[start : start + 5000]
                cursor.execute(
                    f"UPDATE {table} SET {assignment} WHERE id = ANY(%s)", [*params, part]
                )
        cursor.execute(f"ANALYZE {table}")
    return pool


def timed(client: Client, url: str, runs: int = 20) -> str:
    client.get(url, secure=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, secure=True)
        times.append((time.perf_counter() - start) * 1000)
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url, secure=True)
    return f"{url:<40} median {statistics.median(times):7.1f} ms  {len(queries)} queries"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pooled", type=int, default=20000)
    parser.add_argument("--due", type=int, default=5000)
    parser.add_argument("--warned", type=int, default=5000)
    parser.add_argument("--no-prepare", action="store_true", help="Reuse the prepared data.")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.no_prepare:
        pool = Pool.objects.get(name="压测公海")
    else:
        pool = prepare(args.pooled, args.due, args.warned)
    print(f"prepared {Account.objects.count():,} accounts in {time.perf_counter() - start:.1f} s")
    rep = User.objects.get(username="bench_u001")
    client = Client()
    client.force_login(rep)
    print(timed(client, f"/pool/?pool={pool.pk}"))
    print(timed(client, "/accounts/"))
    print(timed(client, f"/api/v1/pools/{pool.pk}/accounts"))
    start = time.perf_counter()
    run = pools_apply_rules()
    elapsed = time.perf_counter() - start
    print(f"rule: returned {run.returned:,}, warned {run.warned:,} in {elapsed:.1f} s")
    start = time.perf_counter()
    again = pools_apply_rules()
    elapsed = time.perf_counter() - start
    print(f"rule again: returned {again.returned:,}, warned {again.warned:,} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
