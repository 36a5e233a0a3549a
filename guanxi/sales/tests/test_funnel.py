"""The sales funnel: counts, amounts, conversion, days in stage and win rate, in scope."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.models import User
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.sales.forecast_choices import FunnelBasis, FunnelScope
from guanxi.sales.funnel_queries import FunnelQuery, funnel_for, funnel_stage_deals
from guanxi.sales.tests.factories import PipelineFactory
from guanxi.sales.tests.forecast_helpers import deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline():
    return PipelineFactory(is_default=True)


@pytest.fixture
def rep():
    user = UserFactory(username="zhang.wei")
    grant(user, "opportunity", ["view"], scope="own")
    return user


@pytest.fixture
def history(pipeline, rep):
    """Build the hand-made history of the funnel tests.

    Stages by position: 0 初步接洽, 1 需求确认, 2 方案报价, 3 谈判审核, 4 赢单 (won), 输单 (lost).
    The rep's deals, created in 2026 (CNY unless said):
      A 100,000 won:  0→1 after 5 days, 1→2 after 10, 2→3 after 3, 3→won after 2  (reached 4)
      B  50,000 lost: 0→1 after 3 days, 1→2 after 4, 2→lost after 6             (reached 2)
      C  30,000 open at 1: 0→1 after 7 days                                      (reached 1)
      D  20,000 open at 0, no history                                            (reached 0)
      E  10,000 lost: 0→lost after 1 day                                         (reached 0)
      F  40,000 open at 2, imported there without history                        (reached 2)
      G   5,000 USD open at 0                                                     (reached 0)
    Another rep's deal H (999,000 at stage 3) is outside the rep's scope.
    Counts: stage 0: 7, stage 1: A B C F = 4, stage 2: A B F = 3, stage 3: A = 1, won: 1.
    CNY amounts: 250,000 / 220,000 / 190,000 / 100,000 / 100,000; USD 5,000 in stage 0.
    Conversion: 4/7 = 57.1 %, 3/4 = 75.0 %, 1/3 = 33.3 %, 1/1 = 100.0 %.
    Days in stage (moves out of it): 0: (5+3+7+1)/4 = 4.0; 1: (10+4)/2 = 7.0;
    2: (3+6)/2 = 4.5; 3: 2/1 = 2.0. Win rate: won 1 of closed 3 (A, B, E) = 33.3 %.
    """
    deal(rep, pipeline, "won", 100000, history=[(0, 1, 5), (1, 2, 10), (2, 3, 3), (3, "won", 2)])
    deal(rep, pipeline, "lost", 50000, history=[(0, 1, 3), (1, 2, 4), (2, "lost", 6)])
    deal(rep, pipeline, 1, 30000, history=[(0, 1, 7)])
    deal(rep, pipeline, 0, 20000)
    deal(rep, pipeline, "lost", 10000, history=[(0, "lost", 1)])
    deal(rep, pipeline, 2, 40000)
    deal(rep, pipeline, 0, 5000, currency="USD")
    other = UserFactory(username="li.na")
    deal(other, pipeline, 3, 999000, history=[(0, 1, 1), (1, 2, 1), (2, 3, 1)])


def year_query(pipeline, **fields):
    return FunnelQuery(
        pipeline=pipeline,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 12, 31),
        **fields,
    )


def test_funnel_counts_amounts_conversion_days_and_win_rate(pipeline, rep, history):
    funnel = funnel_for(rep, year_query(pipeline))

    assert [item.stage.name_zh for item in funnel.stages] == [
        "初步接洽",
        "需求确认",
        "方案报价",
        "谈判审核",
        "赢单",
    ]
    assert [item.count for item in funnel.stages] == [7, 4, 3, 1, 1]
    assert [item.amount for item in funnel.stages] == [
        Decimal("250000.00"),
        Decimal("220000.00"),
        Decimal("190000.00"),
        Decimal("100000.00"),
        Decimal("100000.00"),
    ]
    assert funnel.stages[0].other_amounts == {"USD": Decimal("5000.00")}
    assert [item.conversion for item in funnel.stages] == [
        Decimal("57.1"),
        Decimal("75.0"),
        Decimal("33.3"),
        Decimal("100.0"),
        None,
    ]
    assert [item.average_days for item in funnel.stages] == [
        Decimal("4.0"),
        Decimal("7.0"),
        Decimal("4.5"),
        Decimal("2.0"),
        None,
    ]
    assert (funnel.total, funnel.won, funnel.lost) == (7, 1, 2)
    assert funnel.lost_amount == Decimal("60000.00")
    assert funnel.win_rate == Decimal("33.3")


def test_a_reps_funnel_counts_only_the_deals_they_may_see(pipeline, rep, history, admin_user):
    assert funnel_for(rep, year_query(pipeline)).stages[3].count == 1
    everything = funnel_for(admin_user, year_query(pipeline))
    assert [item.count for item in everything.stages] == [8, 5, 4, 2, 1]
    assert everything.stages[3].amount == Decimal("1099000.00")
    # Read from the running totals: H adds a day to each of stages 0, 1 and 2.
    assert [item.average_days for item in everything.stages] == [
        Decimal("3.4"),
        Decimal("5.0"),
        Decimal("3.3"),
        Decimal("2.0"),
        None,
    ]
    stage3 = pipeline.stages.get(position=3)
    assert [d.amount for d in funnel_stage_deals(rep, year_query(pipeline), stage3)] == [
        Decimal("100000.00")
    ]
    assert funnel_for(admin_user, year_query(pipeline, scope=FunnelScope.ME)).total == 0


def test_the_period_and_basis_choose_the_deals(pipeline, rep):
    deal(rep, pipeline, 0, 1000, created="2025-12-31", expected_close=datetime.date(2026, 2, 1))
    deal(rep, pipeline, 0, 2000, created="2026-01-01", expected_close=datetime.date(2027, 2, 1))
    assert funnel_for(rep, year_query(pipeline)).stages[0].amount == Decimal("2000.00")
    by_close = funnel_for(rep, year_query(pipeline, basis=FunnelBasis.CLOSE))
    assert by_close.stages[0].amount == Decimal("1000.00")


def test_the_drill_down_lists_the_deals_that_reached_a_stage(pipeline, rep, history):
    stage2 = pipeline.stages.get(position=2)
    deals = funnel_stage_deals(rep, year_query(pipeline), stage2)
    assert [d.amount for d in deals] == [
        Decimal("100000.00"),
        Decimal("50000.00"),
        Decimal("40000.00"),
    ]
    lost = pipeline.stages.get(is_lost=True)
    assert sorted(d.amount for d in funnel_stage_deals(rep, year_query(pipeline), lost)) == [
        Decimal("10000.00"),
        Decimal("50000.00"),
    ]


def test_the_funnel_takes_the_same_queries_however_many_deals(pipeline, rep):
    deal(rep, pipeline, 1, 100, history=[(0, 1, 1)])
    with CaptureQueriesContext(connection) as few:
        funnel_for(User.objects.get(pk=rep.pk), year_query(pipeline))
    for _index in range(12):
        deal(rep, pipeline, 2, 100, history=[(0, 1, 1), (1, 2, 2)])
    with CaptureQueriesContext(connection) as many:
        funnel = funnel_for(User.objects.get(pk=rep.pk), year_query(pipeline))
    assert funnel.stages[0].count == 13
    assert len(many) == len(few), [q["sql"] for q in many]


def test_a_stage_change_event_refreshes_the_furthest_stage(
    pipeline, rep, django_capture_on_commit_callbacks
):
    from guanxi.core import events
    from guanxi.sales.models import Opportunity, StageChange

    opportunity = deal(rep, pipeline, 1, 1000, history=[(0, 1, 1)])
    assert Opportunity.objects.get(pk=opportunity.pk).furthest_position == 1
    stages = {stage.position: stage for stage in pipeline.stages.all()}
    lost = pipeline.stages.get(is_lost=True)
    with django_capture_on_commit_callbacks(execute=True):
        for from_position, to_stage in ((1, stages[2]), (2, stages[3]), (3, lost)):
            StageChange.objects.create(
                opportunity=opportunity, from_stage=stages[from_position], to_stage=to_stage
            )
        Opportunity.objects.filter(pk=opportunity.pk).update(stage=lost)
        events.emit("opportunity.stage_changed", entity="opportunity", id=opportunity.pk)
    assert Opportunity.objects.get(pk=opportunity.pk).furthest_position == 3
    funnel = funnel_for(User.objects.get(pk=rep.pk), year_query(pipeline))
    assert [item.count for item in funnel.stages] == [1, 1, 1, 1, 0]
