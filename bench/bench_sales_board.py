#!/usr/bin/env python
"""The kanban board at scale: load N opportunities, then time a pipeline's board of one team.

    createdb -h 127.0.0.1 -U postgres --locale=C.UTF-8 --template=template0 gx_bench_sales
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gx_bench_sales
    python -m guanxi migrate
    python bench/generate.py --accounts 100000        # the customers and their owners
    python bench/bench_sales_board.py --opportunities 1000000

PostgreSQL only. The deals are written by INSERT … SELECT over generate_series, each owned
by its customer's owner, 80 % in the default pipeline and 20 % in a second one, spread over
the stages like a funnel (won and lost ones closed), amounts from 1,000 to 1,000,000. Teams
of ten users are made from the generated users once. A second run with --skip-load only
measures.

Measured, as the median and 95th percentile over the teams (and again through the screen
and the API, in-process through django.test.Client):
- the board query of the default pipeline filtered to one team: every column's count,
  amount and weighted amount, and the first 25 cards of each column,
- the same as a page (HTML) and as `GET /api/v1/opportunities/board`.
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import translation  # noqa: E402

from guanxi.api.auth import token_create  # noqa: E402
from guanxi.core.models import Role, RolePermission, Team, User  # noqa: E402
from guanxi.customers.models import Account  # noqa: E402
from guanxi.sales import opportunity_queries as queries  # noqa: E402
from guanxi.sales.models import Opportunity, Pipeline, Stage  # noqa: E402
from guanxi.sales.pipeline_services import STANDARD_STAGES, pipeline_default  # noqa: E402

TEAM_SIZE = 10

LOAD_SQL = """
INSERT INTO sales_opportunity (
    created_at, updated_at, created_by_id, updated_by_id, owner_id, custom, version,
    number, name, account_id, pipeline_id, stage_id, amount, currency, probability,
    forecast_category, expected_close, source, next_step, description, lead_id, partner_id,
    stage_entered_at, closed_at, close_reason, close_note, furthest_position
)
SELECT
    s.moment, s.moment, a.owner_id, a.owner_id, a.owner_id, '{{}}'::jsonb, 1,
    'B' || lpad(s.g::text, 8, '0'), 'Deal ' || s.g, a.id, st.pipeline_id, st.id,
    (1000 + (hashtext('m' || s.g)::bigint % 999000 + 999000) % 999000)::numeric(18, 2),
    'CNY', CASE WHEN st.is_won THEN 100 ELSE st.probability END,
    'pipeline', (s.moment + interval '60 days')::date, 'website', '', '', NULL, NULL,
    s.moment + interval '3 days',
    CASE WHEN st.is_won OR st.is_lost THEN s.moment + interval '30 days' ELSE NULL END,
    CASE WHEN st.is_lost THEN 'price' WHEN st.is_won THEN 'relationship' ELSE '' END, '',
    CASE WHEN st.is_lost THEN 0 ELSE st.position END
FROM (
    SELECT g,
           now() - ((hashtext(g::text)::bigint % 700 + 700) % 700) * interval '1 day' AS moment,
           {first_account}
               + (hashtext('a' || g)::bigint % {accounts} + {accounts}) % {accounts}
               AS account_id,
           CASE WHEN g % 5 = 0 THEN {other_pipeline} ELSE {default_pipeline} END AS pipeline_id,
           (hashtext('s' || g)::bigint % 100 + 100) % 100 AS bucket
    FROM generate_series({start}, {stop}) AS g
) AS s
JOIN customers_account AS a ON a.id = s.account_id
JOIN sales_stage AS st ON st.pipeline_id = s.pipeline_id AND st.position = (
    CASE WHEN s.bucket < 30 THEN 0 WHEN s.bucket < 52 THEN 1 WHEN s.bucket < 68 THEN 2
         WHEN s.bucket < 78 THEN 3 WHEN s.bucket < 90 THEN 4 ELSE 5 END)
WHERE a.owner_id IS NOT NULL
"""


def pipelines() -> tuple[Pipeline, Pipeline]:
    default = pipeline_default()
    other = Pipeline.objects.exclude(pk=default.pk).first()
    if other is None:
        other = Pipeline.objects.create(name_zh="续约流程", name_en="Renewals", position=1)
        for position, (zh, en, probability, won, lost, rotting) in enumerate(STANDARD_STAGES):
            Stage.objects.create(
                pipeline=other,
                name_zh=zh,
                name_en=en,
                position=position,
                probability=probability,
                is_won=won,
                is_lost=lost,
                rotting_days=rotting,
            )
    return default, other


def teams() -> list[Team]:
    """Return the bench teams, made once of ten users each from the users who own customers."""
    existing = list(Team.objects.filter(name__startswith="压测团队"))
    if existing:
        return existing
    owners = list(
        User.objects.filter(pk__in=Account.objects.values("owner_id").distinct()).order_by("pk")
    )
    made = []
    for index in range(0, len(owners) - TEAM_SIZE + 1, TEAM_SIZE):
        team = Team.objects.create(name=f"压测团队{index // TEAM_SIZE + 1:02d}")
        team.members.add(*owners[index : index + TEAM_SIZE])
        made.append(team)
    return made


def grant_opportunities() -> None:
    """Let every bench role work on opportunities in the scope it has for customers."""
    for permission in RolePermission.objects.filter(entity="account"):
        RolePermission.objects.get_or_create(
            role=permission.role,
            entity="opportunity",
            defaults={"actions": permission.actions, "scope": permission.scope},
        )
    assert Role.objects.exists()


def load(count: int, batch: int, default: Pipeline, other: Pipeline) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM customers_account")
        first, last = cursor.fetchone()
        cursor.execute("SELECT coalesce(max(id), 0) FROM sales_opportunity")
        offset = cursor.fetchone()[0]
    accounts = last - first + 1
    print(f"Loading {count:,} opportunities over {accounts:,} customer ids …", flush=True)
    started = time.perf_counter()
    for start in range(offset + 1, offset + count + 1, batch):
        stop = min(offset + count, start + batch - 1)
        # Only integers are formatted in; without parameters psycopg leaves % alone.
        sql = LOAD_SQL.format(
            first_account=first,
            accounts=accounts,
            start=start,
            stop=stop,
            default_pipeline=default.pk,
            other_pipeline=other.pk,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
        rate = (stop - offset) / (time.perf_counter() - started)
        print(f"  {stop - offset:,} rows, {rate:,.0f} rows/s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) sales_opportunity")
    print(f"Loaded in {time.perf_counter() - started:.0f} s", flush=True)


def timed(function, samples) -> tuple[float, float]:
    durations = []
    for sample in samples:
        started = time.perf_counter()
        function(sample)
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[max(0, int(len(durations) * 0.95) - 1)]


def ok(response):
    if response.status_code != 200:
        sys.exit(f"{response.status_code} from {response.request['PATH_INFO']}")
    return response


def report(label: str, function, samples) -> None:
    function(samples[0])  # warm the connection and caches once
    median, p95 = timed(function, samples)
    print(f"{label}: median {median:.1f} ms, p95 {p95:.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=250_000)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: DATABASE_URL=postgres://…")
    if not Account.objects.exists():
        sys.exit("No customers yet: run bench/generate.py --accounts 100000 first.")
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append("testserver")
    default, other = pipelines()
    grant_opportunities()
    have = Opportunity.objects.order_by().count()
    if not args.skip_load and have < args.opportunities:
        load(args.opportunities - have, args.batch, default, other)
    total = Opportunity.objects.order_by().count()
    bench_teams = teams()
    admin = User.objects.filter(is_superuser=True).first()
    print(f"{total:,} opportunities, {len(bench_teams)} teams of {TEAM_SIZE}", flush=True)
    team_deals = queries.board_deals(admin, default, {"team": str(bench_teams[0].pk)}).count()
    print(f"One team's deals in the default pipeline: {team_deals:,}", flush=True)
    if args.explain:
        deals = queries.board_deals(admin, default, {"team": str(bench_teams[0].pk)})
        totals = deals.order_by().values("stage_id").annotate(n=django.db.models.Count("*"))
        print(totals.explain(analyze=True))
        stage = default.stages.order_by("position").first()
        with CaptureQueriesContext(connection) as captured:
            queries.column_cards(deals, stage, by_owner=True)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + captured.captured_queries[0]["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))

    with translation.override("zh-hans"):

        def board(team):
            columns = queries.board(admin, default, {"team": str(team.pk)})
            return [len(column.cards) for column in columns]

        report("Board query of one team (6 columns, 25 cards each)", board, bench_teams)

        reps = [User.objects.filter(teams=team).first() for team in bench_teams]
        report(
            "Board query of a rep (department-tree scope from their role), unfiltered",
            lambda user: queries.board(user, default, {}),
            reps,
        )
        report(
            "Board query of a rep, their own deals",
            lambda user: queries.board(user, default, {"owner": "me"}),
            reps,
        )

        client = Client()
        client.force_login(admin)
        report(
            "Board page (HTML) of one team",
            lambda team: ok(
                client.get(
                    f"/opportunities/board/?pipeline={default.pk}&team={team.pk}", secure=True
                )
            ),
            bench_teams,
        )
        api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=admin)}")
        report(
            "GET /api/v1/opportunities/board of one team (20 cards a column)",
            lambda team: ok(
                api.get(
                    f"/api/v1/opportunities/board?pipeline={default.pk}&team={team.pk}",
                    secure=True,
                )
            ),
            bench_teams,
        )


if __name__ == "__main__":
    main()
