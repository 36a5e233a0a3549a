#!/usr/bin/env python
"""Activities at scale: load N activities, then time the account timeline and "my day".

    python bench/generate.py --accounts 100000        # the customers and their owners
    python bench/bench_activities.py --activities 10000000

PostgreSQL only (the target of the figure: 10 million activities on one machine). The
activities are written by one INSERT … SELECT over generate_series, each owned by its
customer's owner, spread over three years back and a month ahead (past ones done, future
ones planned, a tenth tasks with a due time), with every index of the table in place
when the load ends. A second run with --skip-load only measures.

Measured, each as the median and 95th percentile over many random samples:
- the first page (25 items) of a customer's 360° timeline (all its sources),
- the activities tab of a customer,
- "my day" (overdue, today, next 7 days, undated, done today) of a sales rep.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import translation  # noqa: E402

from guanxi.activities import queries  # noqa: E402
from guanxi.activities.models import Activity  # noqa: E402
from guanxi.core import timeline  # noqa: E402
from guanxi.core.models import User  # noqa: E402
from guanxi.customers.models import Account  # noqa: E402

LOAD_SQL = """
INSERT INTO activities_activity (
    created_at, updated_at, created_by_id, updated_by_id, owner_id, custom, version,
    kind, subject, description, outcome, outcome_note, status, priority,
    starts_at, ends_at, all_day, due_at, completed_at, occurs_at, location,
    link_entity, link_id, account_id, remind_before, remind_at, reminded_at,
    recurrence, recurrence_interval, recurrence_until, series_id
)
SELECT
    moment, moment, a.owner_id, a.owner_id, a.owner_id, '{{}}'::jsonb, 1,
    CASE WHEN g % 10 = 0 THEN 'task'
         ELSE (ARRAY['call', 'meeting', 'visit', 'email', 'note'])[1 + g % 5] END,
    'Follow-up ' || g, '', '', '',
    CASE WHEN moment < now() THEN 'done' ELSE 'planned' END,
    'normal',
    CASE WHEN g % 10 = 0 THEN NULL ELSE moment END,
    CASE WHEN g % 10 = 0 THEN NULL ELSE moment + interval '30 minutes' END,
    false,
    CASE WHEN g % 10 = 0 THEN moment ELSE NULL END,
    CASE WHEN moment < now() THEN moment ELSE NULL END,
    moment, '', 'account', a.id, a.id, NULL, NULL, NULL, '', 1, NULL, NULL
FROM (
    SELECT g,
           now() - interval '1095 days'
               + ((hashtext(g::text)::bigint % 1125 + 1125) % 1125) * interval '1 day'
               + (g % 600) * interval '1 minute' AS moment,
           {first_account}
               + (hashtext('a' || g)::bigint % {accounts} + {accounts}) % {accounts}
               AS account_id
    FROM generate_series({start}, {stop}) AS g
) AS s
JOIN customers_account AS a ON a.id = s.account_id
"""


def load(count: int, batch: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM customers_account")
        first, last = cursor.fetchone()
    accounts = last - first + 1
    print(f"Loading {count:,} activities over {accounts:,} customer ids …", flush=True)
    started = time.perf_counter()
    for start in range(1, count + 1, batch):
        stop = min(count, start + batch - 1)
        # Only integers are formatted in; without parameters psycopg leaves % alone.
        sql = LOAD_SQL.format(first_account=first, accounts=accounts, start=start, stop=stop)
        with connection.cursor() as cursor:
            cursor.execute(sql)
        done = stop
        rate = done / (time.perf_counter() - started)
        print(f"  {done:,} rows, {rate:,.0f} rows/s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) activities_activity")
    print(f"Loaded in {time.perf_counter() - started:.0f} s", flush=True)


def timed(function, samples) -> tuple[float, float]:
    durations = []
    for sample in samples:
        started = time.perf_counter()
        function(sample)
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[int(len(durations) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: DATABASE_URL=postgres://…")
    if not Account.objects.exists():
        sys.exit("No customers yet: run bench/generate.py --accounts 100000 first.")
    have = Activity.objects.order_by().count()
    if not args.skip_load and have < args.activities:
        load(args.activities - have, args.batch)
    total = Activity.objects.order_by().count()
    print(f"{total:,} activities", flush=True)

    rng = random.Random(1)
    last = Account.objects.order_by("-id").values_list("id", flat=True).first()
    first = Account.objects.order_by("id").values_list("id", flat=True).first()
    account_ids = [rng.randint(first, last) for _ in range(args.samples)]
    accounts = list(Account.objects.filter(pk__in=account_ids).select_related("owner"))
    reps = list(User.objects.filter(pk__in={a.owner_id for a in accounts if a.owner_id}))
    admin = User.objects.filter(is_superuser=True).first()

    with translation.override("zh-hans"):
        for label, users in (("owner (scope own/department)", None), ("superuser", admin)):

            def page(account, user=users):
                items, _next = timeline.timeline("account", account, user or account.owner)
                return items

            median, p95 = timed(page, accounts)
            print(
                f"Customer timeline, first page, {label}: median {median:.1f} ms, p95 {p95:.1f} ms"
            )

        def tab(account):
            return list(queries.activities_of("account", account, account.owner)[:50])

        median, p95 = timed(tab, accounts)
        print(f"Customer activities tab (50 rows): median {median:.1f} ms, p95 {p95:.1f} ms")

        def my_day(user):
            return queries.my_day(user)

        median, p95 = timed(my_day, reps * max(1, args.samples // max(1, len(reps))))
        print(f"My day of a sales rep: median {median:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
