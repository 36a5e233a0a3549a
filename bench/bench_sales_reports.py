"""Time the sales funnel and the forecast rollup over 1M opportunities (PostgreSQL).

Run after `generate.py --accounts 100000` on the same database:

    python bench/bench_sales_reports.py [--opportunities 1000000] [--runs 7]

Once, it builds a 5-level department tree (预测压测公司 → 3 regions → 3 provinces → 3 cities →
3 groups = 121 departments), moves the 200 bench users into its cities and groups, gives the
bench role the opportunity view in department-and-below scope, and writes the
opportunities and their stage history with INSERT … SELECT over generate_series:
expected closes spread over 2024–2027, 30 % open (stages 0–3), 20 % won, 50 % lost after
stages 0–3, 5 % in USD, ~2.5 stage changes a deal, and rebuilds the funnel's time-in-stage
totals from that history (funnel_times.rebuild). Then it times, as the superuser and as
a rep who sees a third of the company, the funnel of 2026 (whole company, and one team of
ten reps) and the forecast rollups of 2026-Q4 and of 2026. It changes the data: run it on
a bench database only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
os.environ.setdefault("SECRET_KEY", "guanxi-bench-not-secret")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from guanxi.core import org  # noqa: E402
from guanxi.core.choices import Scope  # noqa: E402
from guanxi.core.models import Department, Role, RolePermission, Team, User  # noqa: E402
from guanxi.sales import funnel_times  # noqa: E402
from guanxi.sales.forecast_choices import FunnelScope  # noqa: E402
from guanxi.sales.forecast_periods import parse_period  # noqa: E402
from guanxi.sales.forecast_rollup import forecast_for_departments  # noqa: E402
from guanxi.sales.funnel_queries import FunnelQuery, funnel_for, funnel_stage_deals  # noqa: E402
from guanxi.sales.models import Opportunity, Pipeline, Stage  # noqa: E402

ROOT = "预测压测公司"
LEVELS = (
    ("华东", "华南", "华北"),
    ("一省", "二省", "三省"),
    ("甲市", "乙市", "丙市"),
    ("一组", "二组", "三组"),
)
STAGES = (
    ("初步接洽", "Prospecting", 10, False, False),
    ("需求确认", "Needs confirmed", 30, False, False),
    ("方案报价", "Proposal", 60, False, False),
    ("谈判审核", "Negotiation", 80, False, False),
    ("赢单", "Won", 100, True, False),
    ("输单", "Lost", 0, False, True),
)
REP = "bench_u001"


def build_tree() -> tuple[Department, list[Department]]:
    """Create (once) the 5-level tree; return its root and its departments below level 3."""
    root = Department.objects.filter(name=ROOT, parent=None).first()
    if root is None:
        root = org.department_create(name=ROOT)
        parents = [root]
        for names in LEVELS:
            parents = [
                org.department_create(name=f"{parent.name[:4]}{name}", parent=parent)
                for parent in parents
                for name in names
            ]
    tree = list(Department.objects.filter(path__startswith=root.path).order_by("path"))
    return root, [d for d in tree if d.depth >= 3]


def place_people(root: Department, lower: list[Department]) -> User:
    """Spread the bench users over the cities and groups; put the rep at a region's head."""
    users = list(User.objects.filter(username__startswith="bench_u").order_by("username"))
    for index, user in enumerate(users):
        user.department = lower[index % len(lower)]
    User.objects.bulk_update(users, ["department"])
    rep = User.objects.get(username=REP)
    rep.department = Department.objects.filter(parent=root).order_by("path").first()
    rep.save(update_fields=["department"])
    role = Role.objects.get(name="压测销售代表")
    RolePermission.objects.update_or_create(
        role=role,
        entity="opportunity",
        defaults={"actions": ["view"], "scope": Scope.DEPARTMENT_TREE},
    )
    return User.objects.get(pk=rep.pk)


def pipeline() -> Pipeline:
    found = Pipeline.objects.filter(name_zh="压测新客户流程").first()
    if found is None:
        found = Pipeline.objects.create(
            name_zh="压测新客户流程", name_en="Bench new business", is_default=True
        )
        for position, (zh, en, probability, won, lost) in enumerate(STAGES):
            Stage.objects.create(
                pipeline=found,
                name_zh=zh,
                name_en=en,
                position=position,
                probability=probability,
                is_won=won,
                is_lost=lost,
            )
    return found


# Deal i: kind = i % 10 (0–2 open, 3–4 won, 5–9 lost); furthest stage (i / 10) % 4 unless won.
OPPORTUNITIES_SQL = """
WITH owners AS (SELECT array_agg(id ORDER BY id) AS ids FROM core_user
                WHERE username LIKE 'bench_u%%'),
     stages AS (SELECT array_agg(id ORDER BY position) AS ids,
                       array_agg(probability ORDER BY position) AS probabilities
                FROM sales_stage WHERE pipeline_id = %(pipeline)s),
     deals AS (
       SELECT i, DATE '2024-01-01' + (i * 7 %% 1461)::int AS close_day,
              CASE WHEN i %% 10 < 3 THEN 'open' WHEN i %% 10 < 5 THEN 'won' ELSE 'lost' END AS kind,
              ((i / 10) %% 4)::int AS reached
       FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i)
INSERT INTO sales_opportunity (
  created_at, updated_at, custom, version, number, name, amount, currency, probability,
  forecast_category, expected_close, source, next_step, description, stage_entered_at,
  closed_at, close_reason, close_note, account_id, owner_id, pipeline_id, stage_id,
  furthest_position)
SELECT d.close_day - (10 + i %% 120)::int + TIME '10:00', now(), '{}', 1,
       'BO' || lpad(i::text, 8, '0'),
       '压测商机 ' || i, ((i * 37) %% 500 + 1) * 1000.00,
       CASE WHEN i %% 20 = 0 THEN 'USD' ELSE 'CNY' END,
       CASE d.kind WHEN 'won' THEN 100 WHEN 'lost' THEN 0 ELSE s.probabilities[d.reached + 1] END,
       (ARRAY['pipeline', 'best_case', 'commit', 'pipeline'])[i %% 4 + 1],
       d.close_day, '', '', '', d.close_day - 5 + TIME '10:00',
       CASE WHEN d.kind = 'open' THEN NULL ELSE d.close_day + (i %% 15)::int + TIME '10:00' END,
       '', '', 1 + (i * 7919) %% %(accounts)s, o.ids[(1 + (i * 31) %% array_length(o.ids, 1))::int],
       %(pipeline)s,
       CASE d.kind WHEN 'won' THEN s.ids[5] WHEN 'lost' THEN s.ids[6] ELSE s.ids[d.reached + 1] END,
       CASE d.kind WHEN 'won' THEN 4 ELSE d.reached END
FROM deals d, owners o, stages s
"""

# One change per stage passed (0→1, …), plus the move to won (from 3) or to lost.
CHANGES_SQL = """
WITH stages AS (SELECT array_agg(id ORDER BY position) AS ids FROM sales_stage
                WHERE pipeline_id = %(pipeline)s),
     deals AS (
       SELECT o.id, o.created_at, o.amount, substr(o.number, 3)::int AS i,
              CASE WHEN o.stage_id = s.ids[5] THEN 'won' WHEN o.stage_id = s.ids[6] THEN 'lost'
                   ELSE 'open' END AS kind
       FROM sales_opportunity o, stages s
       WHERE o.pipeline_id = %(pipeline)s AND o.number LIKE 'BO%%'),
     moves AS (
       SELECT d.id, d.created_at, d.amount, d.i, j,
              CASE WHEN d.kind = 'won' THEN 4 ELSE (d.i / 10) %% 4 END AS top, d.kind
       FROM deals d,
            generate_series(1, CASE WHEN d.kind = 'won' THEN 4
                                    WHEN d.kind = 'lost' THEN (d.i / 10) %% 4 + 1
                                    ELSE (d.i / 10) %% 4 END) AS j)
INSERT INTO sales_stagechange (opportunity_id, from_stage_id, to_stage_id, changed_at,
                               seconds_in_previous, amount)
SELECT m.id, s.ids[m.j], CASE WHEN m.kind = 'lost' AND m.j = m.top + 1 THEN s.ids[6]
                              ELSE s.ids[m.j + 1] END,
       m.created_at + m.j * INTERVAL '3 days', ((m.i + m.j) %% 20 + 1) * 86400, m.amount
FROM moves m, stages s
"""


def load(count: int, chosen: Pipeline) -> None:
    existing = Opportunity.objects.filter(pipeline=chosen).count()
    if existing >= count:
        print(f"{existing:,} bench opportunities already there", flush=True)
        return
    accounts = connection.cursor()
    accounts.execute("SELECT max(id) FROM customers_account")
    top = accounts.fetchone()[0]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM sales_stagechange WHERE opportunity_id IN "
            "(SELECT id FROM sales_opportunity WHERE pipeline_id = %s)",
            [chosen.pk],
        )
        cursor.execute("DELETE FROM sales_opportunity WHERE pipeline_id = %s", [chosen.pk])
        step = 250_000
        for first in range(1, count + 1, step):
            cursor.execute(
                OPPORTUNITIES_SQL,
                {
                    "pipeline": chosen.pk,
                    "first": first,
                    "last": min(first + step - 1, count),
                    "accounts": top,
                },
            )
            print(f"  {min(first + step - 1, count):,} opportunities", flush=True)
        cursor.execute(CHANGES_SQL, {"pipeline": chosen.pk})
        print(f"  {cursor.rowcount:,} stage changes", flush=True)
        cursor.execute("VACUUM ANALYZE sales_opportunity")
        cursor.execute("VACUUM ANALYZE sales_stagechange")
    print(f"Loaded in {time.perf_counter() - started:.1f} s", flush=True)
    rebuild_times(chosen)


def rebuild_times(chosen: Pipeline) -> None:
    """Sum the stage history written above into the funnel's time-in-stage totals."""
    started = time.perf_counter()
    rows = funnel_times.rebuild([chosen.pk])
    print(
        f"  funnel time totals rebuilt: {rows} rows in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def team() -> Team:
    """Return (made once) a team of ten bench reps: a twentieth of the deals."""
    found = Team.objects.filter(name="压测漏斗团队").first()
    if found is None:
        found = Team.objects.create(name="压测漏斗团队")
        found.members.add(*User.objects.filter(username__startswith="bench_u").order_by("pk")[:10])
    return found


def timed(label: str, function, runs: int) -> None:
    times, queries = [], 0
    for _run in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            function()
        times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    print(
        f"{label:<58} median {statistics.median(times):7.1f} ms   best {min(times):7.1f} ms"
        f"   {queries} queries",
        flush=True,
    )


def fresh(user: User) -> User:
    """Return the user without the grants cached on the object: each run reads them."""
    return User.objects.select_related("department").get(pk=user.pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this benchmark on PostgreSQL (DATABASE_URL=postgres://…).")
    call_command("migrate", verbosity=0)  # the furthest stage of each deal is filled there
    root, lower = build_tree()
    rep = place_people(root, lower)
    chosen = pipeline()
    load(args.opportunities, chosen)
    admin = User.objects.get(username="bench_admin")
    year = FunnelQuery(
        pipeline=chosen, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31)
    )
    deals = Opportunity.objects.filter(pipeline=chosen)
    print(
        f"{deals.count():,} opportunities, "
        f"{Department.objects.filter(path__startswith=root.path).count()} "
        f"departments in 5 levels, {year.start.year}: "
        f"{deals.filter(created_at__year=2026).count():,} created",
        flush=True,
    )
    stage = chosen.stages.get(position=2)
    one_team = FunnelQuery(
        pipeline=chosen,
        start=year.start,
        end=year.end,
        scope=FunnelScope.TEAM,
        team=team(),
    )
    for who, user in (("superuser", admin), ("rep, a third of the company", rep)):
        timed(
            f"funnel 2026, whole company ({who})",
            lambda u=user: funnel_for(fresh(u), year),
            args.runs,
        )
        timed(
            f"funnel 2026, one team of 10 ({who})",
            lambda u=user: funnel_for(fresh(u), one_team),
            args.runs,
        )
        timed(
            f"funnel drill-down, 100 largest of a stage ({who})",
            lambda u=user: list(funnel_stage_deals(fresh(u), year, stage)[:100]),
            args.runs,
        )
        for period in ("2026-Q4", "2026"):
            timed(
                f"forecast rollup {period}, 5-level tree ({who})",
                lambda u=user, p=period: forecast_for_departments(fresh(u), parse_period(p), None),
                args.runs,
            )


if __name__ == "__main__":
    main()
