#!/usr/bin/env python
"""Measure the server-side time of list, API and search requests on benchmark data.

    python bench/bench_web.py [--runs 50] [--warmups 5] [--explain]

Requests go through django.test.Client in-process (middleware, session, view, template,
all the SQL; no network or web server), once as the superuser bench_admin and once as
bench_u001, a sales rep whose role has scope department_tree (a quarter of the owners).
Each request runs `--warmups` times unmeasured, then `--runs` times; the table gives
p50/p95/max in milliseconds, the number of SQL queries and what came back.

With --explain the slowest SQL statement of each request is printed with its plan
(PostgreSQL: EXPLAIN (ANALYZE, BUFFERS); SQLite: EXPLAIN QUERY PLAN).

Run bench/generate.py first; DATABASE_URL selects the database as for `guanxi`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
os.environ.setdefault("SECRET_KEY", "guanxi-bench-not-secret")
os.environ.setdefault("GUANXI_HTTPS", "0")  # no redirect to https inside the test client

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from guanxi.core import search  # noqa: E402
from guanxi.core.models import User  # noqa: E402
from guanxi.customers.models import Contact  # noqa: E402

HIT_MARKER = 'data-testid="search-hit"'
ROW_MARKER = 'name="ids"'
ADMIN_USERNAME = "bench_admin"
REP_USERNAME = "bench_u001"


@dataclass
class Case:
    label: str
    url: str
    kind: str  # list, api, search


def pick_queries(rep: User) -> dict[str, str]:
    """Return realistic search queries drawn from the data, visible to the rep."""
    visible = Contact.objects.visible_to(rep).order_by("id")
    name = "张伟" if Contact.objects.filter(name="张伟").exists() else ""
    if not name:
        name = next(
            (n for n in visible.values_list("name", flat=True)[:500] if len(n) == 2), "王芳"
        )
    three = next(
        (
            n
            for n in visible.values_list("name", flat=True)[:500]
            if len(n) == 3 and search.has_chinese(n)
        ),
        "王建国",
    )
    with_mobile = visible.exclude(mobile_e164="").values_list("mobile_e164", flat=True)[:1]
    e164 = with_mobile[0] if with_mobile else "+8613800138000"
    email = visible.exclude(email="").values_list("email", flat=True)[:1]
    local, _at, domain = (email[0] if email else "zhangwei@example.com").partition("@")
    initials = search.pinyin_keys(name)[1]
    return {
        "2-char name": name,
        "pinyin initials (2)": initials,
        "pinyin initials (3)": search.pinyin_keys(three)[1],
        "mobile number": f"{e164[3:6]} {e164[6:10]} {e164[10:]}",
        "email prefix": f"{local}@{domain[:3]}",
        # Not in the brief, but what search-as-you-type sends first: one common surname.
        "1st keystroke": name[0],
    }


def cases(queries: dict[str, str]) -> list[Case]:
    from urllib.parse import quote

    result = [
        Case(
            "account list: customer, by name, 50 + count",
            "/accounts/?account_type=customer&ordering=name",
            "list",
        ),
        Case(
            "API /api/v1/accounts: customer, by name, 50",
            "/api/v1/accounts?account_type=customer&ordering=name&limit=50",
            "api",
        ),
    ]
    for label, query in queries.items():
        result.append(
            Case(f"search {label} “{query}”", f"/search/quick/?q={quote(query)}", "search")
        )
    return result


def describe(case: Case, response) -> str:
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    body = response.content.decode()
    if case.kind == "api":
        data = json.loads(body)
        more = "+" if data.get("count_capped") else ""
        return f"{len(data['items'])} rows, count {data['count']:,}{more}"
    if case.kind == "search":
        return f"{body.count(HIT_MARKER)} hits"
    rows = body.count(ROW_MARKER)
    shown = re.search(r'data-testid="result-count">(.*?)</div>', body, re.S)
    summary = " ".join(shown.group(1).split()) if shown else "?"
    return f"{rows} rows ({summary}), {len(body) // 1024} KB"


def measure(client: Client, case: Case, runs: int, warmups: int) -> dict:
    for _ in range(warmups):
        response = client.get(case.url, secure=True)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(case.url, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get(case.url, secure=True)
    timings.sort()
    return {
        "p50": statistics.median(timings),
        "p95": timings[max(round(len(timings) * 0.95) - 1, 0)],
        "max": timings[-1],
        "queries": len(captured.captured_queries),
        "slowest": max(captured.captured_queries, key=lambda q: float(q["time"]), default=None),
        "result": describe(case, response),
    }


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join("    " + " ".join(str(part) for part in row) for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmups", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", default="", help="Run only cases whose label contains this.")
    args = parser.parse_args()

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append("testserver")
    admin = User.objects.filter(username=ADMIN_USERNAME).first()
    rep = User.objects.filter(username=REP_USERNAME).first()
    if admin is None or rep is None:
        sys.exit("No benchmark users in this database: run bench/generate.py first.")
    queries = pick_queries(rep)
    print(
        f"Database: {connection.vendor} {connection.settings_dict['NAME']}; "
        f"{args.runs} runs after {args.warmups} warm-ups; times in ms",
        flush=True,
    )
    header = "| request | user | p50 | p95 | max | SQL | result |"
    rows = [header, "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    plans = []
    for case in cases(queries):
        if args.only and args.only not in case.label:
            continue
        for user in (admin, rep):
            client = Client()
            client.force_login(user)
            result = measure(client, case, args.runs, args.warmups)
            who = "admin" if user.is_superuser else "rep (dept tree)"
            rows.append(
                f"| {case.label} | {who} | {result['p50']:.1f} | {result['p95']:.1f} | "
                f"{result['max']:.1f} | {result['queries']} | {result['result']} |"
            )
            print(rows[-1], flush=True)
            if args.explain and result["slowest"]:
                slowest = result["slowest"]
                plans.append(
                    f"## {case.label} — {who} — slowest SQL ({slowest['time']} s)\n"
                    f"    {slowest['sql']}\n{explain(slowest['sql'])}"
                )
    print()
    print("\n".join(rows))
    for plan in plans:
        print()
        print(plan)


if __name__ == "__main__":
    main()
