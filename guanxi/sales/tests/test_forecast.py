"""The forecast: a hand-computed example, the rollup down a 3-level tree, adjustments."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.models import User
from guanxi.core.tests.factories import DepartmentFactory, UserFactory, grant
from guanxi.sales import forecast_services
from guanxi.sales.forecast_periods import parse_period
from guanxi.sales.forecast_rollup import forecast_for_departments
from guanxi.sales.models import ForecastOverride
from guanxi.sales.tests.factories import PipelineFactory
from guanxi.sales.tests.forecast_helpers import deal, moment

pytestmark = pytest.mark.django_db
Q4 = parse_period("2026-Q4")


@pytest.fixture
def org():
    """Build 总部 → 华东 → 上海, managed by wang (总部); sun in 华东, ren in 上海, tao in 总部."""
    boss = UserFactory(username="wang", first_name="总", last_name="王")
    head = DepartmentFactory(name="总部")
    head.manager = boss
    head.save()
    east = DepartmentFactory(name="华东", parent=head)
    shanghai = DepartmentFactory(name="上海", parent=east)
    people = {
        "boss": boss,
        "s": UserFactory(username="sun", department=east),
        "r": UserFactory(username="ren", department=shanghai),
        "t": UserFactory(username="tao", department=head),
    }
    boss.department = head
    boss.save()
    grant(boss, "opportunity", ["view"], scope="department_tree")
    for key in ("s", "r", "t"):
        grant(people[key], "opportunity", ["view"], scope="own")
    return {"head": head, "east": east, "shanghai": shanghai, **people}


@pytest.fixture
def deals(org):
    """Give the people their Q4 2026 deals (CNY unless said).

    ren (上海):
      won 100,000 closed 2026-11-15                → won 100,000
      won  60,000 closed 2026-09-30 (Q3)           → nothing
      open 200,000 at 60 %, commit, close 12-10    → weighted 120,000, best 200,000, commit 200,000
      open  80,000 at 30 %, best case, close 10-05 → weighted  24,000, best  80,000
      open  50,000 at 10 %, pipeline, close 11-20  → weighted   5,000
      open  70,000 at 50 %, omitted, close 11-01   → nothing
      open  90,000 at 80 %, commit, close 2027-01  → nothing (next quarter)
      lost  40,000 expected 11-01                  → nothing
      open  10,000 USD at 50 %, commit, close 12-01 → apart: USD commit 10,000, weighted 5,000
      target: October 100,000 + November 150,000 + December 150,000 = Q4 400,000
    ren: won 100,000; weighted 149,000; best case 280,000; commit 200,000;
         gap 400,000 − 100,000 = 300,000; attainment 25.0 %.
    sun (华东): won 50,000 closed 10-20; open 30,000 at 70 %, commit, close 12-01
         → won 50,000, weighted 21,000, best 30,000, commit 30,000. 华东 target (own) 1,000,000.
    tao (总部): open 20,000 at 50 %, pipeline, close 12-31 → weighted 10,000.
    Rollup: 上海 = ren; 华东 = 上海 + sun: won 150,000, weighted 170,000, best 310,000,
    commit 230,000, target 1,000,000 (its own); 总部 = 华东 + tao + wang: weighted 180,000,
    target 1,000,000 (the sum of its children's: 华东's, nobody else has one).
    """
    pipeline = PipelineFactory()
    r, s, t = org["r"], org["s"], org["t"]
    d = datetime.date
    deal(r, pipeline, "won", 100000, closed_at=moment("2026-11-15T10:00"))
    deal(r, pipeline, "won", 60000, closed_at=moment("2026-09-30T23:00"))
    deal(
        r,
        pipeline,
        2,
        200000,
        probability=60,
        forecast_category="commit",
        expected_close=d(2026, 12, 10),
    )
    deal(
        r,
        pipeline,
        1,
        80000,
        probability=30,
        forecast_category="best_case",
        expected_close=d(2026, 10, 5),
    )
    deal(r, pipeline, 0, 50000, probability=10, expected_close=d(2026, 11, 20))
    deal(
        r,
        pipeline,
        2,
        70000,
        probability=50,
        forecast_category="omitted",
        expected_close=d(2026, 11, 1),
    )
    deal(
        r,
        pipeline,
        3,
        90000,
        probability=80,
        forecast_category="commit",
        expected_close=d(2027, 1, 15),
    )
    deal(r, pipeline, "lost", 40000, expected_close=d(2026, 11, 1))
    deal(
        r,
        pipeline,
        2,
        10000,
        probability=50,
        forecast_category="commit",
        currency="USD",
        expected_close=d(2026, 12, 1),
    )
    deal(s, pipeline, "won", 50000, closed_at=moment("2026-10-20T09:00"))
    deal(
        s,
        pipeline,
        3,
        30000,
        probability=70,
        forecast_category="commit",
        expected_close=d(2026, 12, 1),
    )
    deal(t, pipeline, 1, 20000, probability=50, expected_close=d(2026, 12, 31))
    boss = org["boss"]
    for month, amount in ((10, 100000), (11, 150000), (12, 150000)):
        forecast_services.target_set(
            actor=boss, period=parse_period(f"2026-{month}"), amount=Decimal(amount), user=r
        )
    forecast_services.target_set(
        actor=boss, period=Q4, amount=Decimal(1000000), department=org["east"]
    )
    return pipeline


def rows_by_name(forecast):
    return {row.name if row.kind != "user" else row.pk: row for row in forecast.rows}


def test_the_hand_computed_example_of_a_person(org, deals):
    forecast = forecast_for_departments(org["boss"], Q4, org["shanghai"])
    ren = rows_by_name(forecast)[org["r"].pk]
    f = ren.figures
    assert (f.won, f.weighted, f.best_case, f.commit) == (
        Decimal("100000.00"),
        Decimal("149000.00"),
        Decimal("280000.00"),
        Decimal("200000.00"),
    )
    assert f.won_count == 1
    assert ren.target == Decimal("400000.00")
    assert ren.gap == Decimal("300000.00")
    assert ren.attainment_percent == Decimal("25.0")
    usd = forecast.other_currencies["USD"]
    assert (usd.commit, usd.weighted, usd.won) == (Decimal("10000.00"), Decimal("5000.00"), 0)


def test_the_rollup_down_a_three_level_tree(org, deals):
    forecast = forecast_for_departments(org["boss"], Q4, None)
    rows = rows_by_name(forecast)
    assert [(row.name, row.depth) for row in forecast.rows if row.kind != "user"] == [
        ("Whole company", 0),
        ("总部", 1),
        ("华东", 2),
        ("上海", 3),
    ]
    east, head, shanghai = rows["华东"], rows["总部"], rows["上海"]
    assert (
        east.figures.won,
        east.figures.weighted,
        east.figures.best_case,
        east.figures.commit,
    ) == (Decimal("150000.00"), Decimal("170000.00"), Decimal("310000.00"), Decimal("230000.00"))
    assert east.target == Decimal("1000000.00")
    assert shanghai.target == Decimal("400000.00")
    assert head.figures.weighted == Decimal("180000.00")
    assert head.target == Decimal("1000000.00")
    assert {child.key for child in head.children} == {
        f"department-{org['east'].pk}",
        f"user-{org['t'].pk}",
        f"user-{org['boss'].pk}",
    }
    assert rows[org["r"].pk].parent_key == shanghai.key


def test_a_reps_forecast_holds_only_their_own_deals(org, deals):
    forecast = forecast_for_departments(org["s"], Q4, None)
    assert [row.pk for row in forecast.rows if row.kind == "user"] == [org["s"].pk]
    assert forecast.root.figures.commit == Decimal("30000.00")


def test_an_adjustment_is_recorded_shown_and_rolled_up(org, deals):
    boss, ren = org["boss"], org["r"]
    first = forecast_services.forecast_override(
        actor=boss,
        period=Q4,
        figure="commit",
        new_amount=Decimal("180000"),
        comment="客户预算推迟",
        user=ren,
    )
    assert (first.old_amount, first.new_amount, first.created_by) == (
        Decimal("200000.00"),
        Decimal("180000"),
        boss,
    )
    forecast_services.forecast_override(
        actor=boss,
        period=Q4,
        figure="commit",
        new_amount=Decimal("190000"),
        comment="谈判顺利",
        user=ren,
    )
    rows = rows_by_name(forecast_for_departments(boss, Q4, None))
    row = rows[ren.pk]
    assert row.figures.commit == Decimal("200000.00")
    assert row.adjusted["commit"] == Decimal("190000.00")
    assert [o.comment for o in row.history["commit"]] == ["客户预算推迟", "谈判顺利"]
    assert rows["华东"].adjusted["commit"] == Decimal("220000.00")
    assert rows["总部"].adjusted["commit"] == Decimal("220000.00")
    assert rows["华东"].adjusted["best_case"] == Decimal("310000.00")


def test_only_a_manager_above_may_adjust(org, deals):
    with pytest.raises(PermissionDenied):
        forecast_services.forecast_override(
            actor=org["s"],
            period=Q4,
            figure="commit",
            new_amount=Decimal(1),
            comment="x",
            user=org["r"],
        )
    with pytest.raises(PermissionDenied):
        forecast_services.forecast_override(
            actor=org["boss"],
            period=Q4,
            figure="commit",
            new_amount=Decimal(1),
            comment="x",
            user=org["boss"],
        )
    with pytest.raises(forecast_services.InvalidValue):
        forecast_services.forecast_override(
            actor=org["boss"],
            period=Q4,
            figure="commit",
            new_amount=Decimal(1),
            comment=" ",
            user=org["r"],
        )
    assert ForecastOverride.objects.count() == 0


def test_the_forecast_takes_the_same_queries_however_many_deals(org, deals):
    def count():
        with CaptureQueriesContext(connection) as queries:
            forecast_for_departments(User.objects.get(pk=org["boss"].pk), Q4, None)
        return len(queries)

    before = count()
    for _index in range(10):
        deal(
            org["t"],
            deals,
            2,
            1000,
            forecast_category="commit",
            expected_close=datetime.date(2026, 11, 2),
        )
        UserFactory(department=org["east"])
    assert count() == before
