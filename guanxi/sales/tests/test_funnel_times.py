"""The funnel's time-in-stage totals always equal what the stage history says.

The oracle is the exact computation (`funnel_queries.history_times` over the stage history,
and `funnel_times.exact_totals` for the stored rows): after moves, won, lost, reopening, a
change of pipeline, deletes, a stage removed, an account merge, the backfill migration and
the rebuild command, the totals and the funnel's average days must agree with it.
"""

import datetime
import importlib
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from guanxi.core import registry
from guanxi.core.dedupe.merge import records_merge
from guanxi.core.models import Share, Team, User
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory
from guanxi.sales import funnel_times
from guanxi.sales.forecast_choices import FunnelBasis, FunnelScope
from guanxi.sales.funnel_queries import FunnelQuery, funnel_for, funnel_stages, history_times
from guanxi.sales.models import FunnelStageTime, Opportunity
from guanxi.sales.opportunity_services import after_write, opportunity_move_stage
from guanxi.sales.tests.factories import OpportunityFactory, PipelineFactory
from guanxi.sales.tests.forecast_helpers import deal, moment

pytestmark = pytest.mark.django_db
ALL = ["view", "create", "edit", "delete", "assign"]


@pytest.fixture
def pipeline():
    return PipelineFactory(is_default=True)


@pytest.fixture
def rep():
    user = UserFactory(username="wang.fang")
    grant(user, "opportunity", ALL, scope="own")
    grant(user, "account", ALL, scope="own")
    return user


@pytest.fixture
def boss():
    """A sales director who sees every deal (data scope "all") without being a superuser."""
    user = UserFactory(username="zhao.min")
    grant(user, "opportunity", ALL, scope="all")
    grant(user, "account", ALL, scope="all")
    return user


def by_name(pipeline):
    return {stage.name_en: stage for stage in pipeline.stages.all()}


def year_query(pipeline, **fields):
    fields.setdefault("start", datetime.date(2026, 1, 1))
    fields.setdefault("end", datetime.date(2026, 12, 31))
    return FunnelQuery(pipeline=pipeline, **fields)


def stored() -> dict:
    return {
        (row.pipeline_id, row.stage_id, row.month, row.owner_key): [row.seconds, row.moves]
        for row in FunnelStageTime.objects.exclude(moves=0)
    }


def assert_totals_exact():
    assert stored() == funnel_times.exact_totals()


def funnel_days(user, query) -> dict:
    funnel = funnel_for(User.objects.get(pk=user.pk), query)
    return {item.stage.name_en: (item.average_days, item.left) for item in funnel.stages}


def oracle_days(user, query) -> dict:
    """The days in stage computed from the whole period's stage history only."""
    stages = funnel_stages(query.pipeline)
    exact = history_times(User.objects.get(pk=user.pk), query, [s.pk for s in stages])
    days = {}
    for stage in stages:
        seconds, moves = exact.get(stage.pk, (0, 0))
        average = (Decimal(seconds) / moves / 86400).quantize(Decimal("0.1")) if moves else None
        days[stage.name_en] = (average, moves)
    return days


def assert_funnel_matches_history(user, query):
    assert funnel_days(user, query) == oracle_days(user, query)


def new_deal(actor, pipeline, **fields):
    """Create a deal now (the clock decides created_at) as the create service does."""
    opportunity = OpportunityFactory(
        owner=fields.pop("owner", actor),
        pipeline=pipeline,
        stage=by_name(pipeline)["Prospecting"],
        **fields,
    )
    after_write(actor, opportunity, None)
    return Opportunity.objects.get(pk=opportunity.pk)


def move(actor, opportunity, stage, **fields):
    return opportunity_move_stage(
        actor=actor, opportunity=Opportunity.objects.get(pk=opportunity.pk), stage=stage, **fields
    )


def test_moves_won_lost_and_reopening_keep_the_totals_exact(pipeline, boss, rep):
    stages = by_name(pipeline)
    # 23:30 on 31 January in Shanghai is still January there (15:30 UTC); 00:30 on
    # 1 February is February in Shanghai but January in UTC: months follow the site zone.
    with time_machine.travel(moment("2026-01-31T23:30"), tick=False) as clock:
        january = new_deal(rep, pipeline, amount=Decimal("100000"))
        clock.shift(datetime.timedelta(hours=1))
        february = new_deal(rep, pipeline, amount=Decimal("50000"))
        clock.shift(datetime.timedelta(days=2))
        move(rep, january, stages["Needs confirmed"])
        clock.shift(datetime.timedelta(days=3))
        move(rep, january, stages["Proposal"])
        move(rep, february, stages["Proposal"])
        clock.shift(datetime.timedelta(hours=5))
        move(rep, january, stages["Won"], close_reason="relationship")
        clock.shift(datetime.timedelta(days=1))
        move(rep, january, stages["Negotiation"])  # reopened
        move(rep, february, stages["Lost"], close_reason="price")
        clock.shift(datetime.timedelta(days=4))
        move(rep, february, stages["Needs confirmed"])  # reopened
        move(rep, january, stages["Won"], close_reason="relationship")

    assert_totals_exact()
    months = {month for (_pipeline, _stage, month, _owner) in stored()}
    assert months == {datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)}
    query = year_query(pipeline)
    assert funnel_times.answers(query)
    assert funnel_days(boss, query) == {
        # January's deal left Prospecting after 2 days 1 hour, February's after 5 days.
        "Prospecting": (Decimal("3.5"), 2),
        "Needs confirmed": (Decimal("3.0"), 1),
        # Proposal: 5 hours (January's deal), 1 day and 5 hours (February's, to lost).
        "Proposal": (Decimal("0.7"), 2),
        "Negotiation": (Decimal("4.0"), 1),
        "Won": (Decimal("1.0"), 1),
    }
    assert_funnel_matches_history(boss, query)
    assert_funnel_matches_history(rep, query)


def edit(client, opportunity, pipeline, stage):
    payload = {
        "name": opportunity.name,
        "account": opportunity.account_id,
        "pipeline": pipeline.pk,
        "stage": stage.pk,
        "amount": str(opportunity.amount),
        "currency": "CNY",
        "forecast_category": "pipeline",
        "owner": opportunity.owner_id,
        "version": Opportunity.objects.get(pk=opportunity.pk).version,
    }
    response = client.post(f"/opportunities/{opportunity.pk}/edit/", payload)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_deal_moved_to_another_pipeline_takes_its_times_along(pipeline, boss, rep, client_for):
    renewals = PipelineFactory(name_en="Renewals")
    stages, other = by_name(pipeline), by_name(renewals)
    client = client_for(boss)
    with time_machine.travel(moment("2026-03-10T10:00"), tick=False) as clock:
        moving = new_deal(rep, pipeline, account=AccountFactory(owner=rep))
        staying = new_deal(rep, pipeline, account=AccountFactory(owner=rep))
        clock.shift(datetime.timedelta(days=2))
        move(rep, moving, stages["Needs confirmed"])
        move(rep, staying, stages["Needs confirmed"])
        clock.shift(datetime.timedelta(days=1))
        edit(client, moving, renewals, other["Prospecting"])
        clock.shift(datetime.timedelta(days=6))
        move(rep, moving, other["Needs confirmed"])
        assert_totals_exact()
        assert funnel_days(boss, year_query(pipeline))["Prospecting"] == (Decimal("2.0"), 1)
        assert funnel_days(boss, year_query(renewals))["Prospecting"] == (Decimal("6.0"), 1)
        clock.shift(datetime.timedelta(days=1))
        edit(client, moving, pipeline, stages["Proposal"])  # back: its old moves count again

    assert_totals_exact()
    assert funnel_days(boss, year_query(pipeline))["Prospecting"] == (Decimal("2.0"), 2)
    assert funnel_days(boss, year_query(renewals))["Prospecting"] == (None, 0)
    for chosen in (pipeline, renewals):
        assert_funnel_matches_history(boss, year_query(chosen))


def test_deleting_deals_takes_their_times_away(pipeline, boss, rep, admin_client):
    stages = by_name(pipeline)
    with time_machine.travel(moment("2026-05-05T10:00"), tick=False) as clock:
        deals = [new_deal(rep, pipeline) for _ in range(4)]
        for index, opportunity in enumerate(deals):
            clock.shift(datetime.timedelta(days=index + 1))
            move(rep, opportunity, stages["Needs confirmed"])
            move(rep, opportunity, stages["Lost"], close_reason="price")
    assert funnel_days(boss, year_query(pipeline))["Prospecting"][1] == 4

    response = admin_client.post(f"/opportunities/{deals[0].pk}/delete/")
    assert response.status_code in (200, 302)
    assert not Opportunity.objects.filter(pk=deals[0].pk).exists()
    assert_totals_exact()
    Opportunity.objects.filter(pk__in=[deals[1].pk, deals[2].pk]).delete()

    assert_totals_exact()
    assert funnel_days(boss, year_query(pipeline))["Prospecting"][1] == 1
    assert_funnel_matches_history(boss, year_query(pipeline))


def test_removing_a_stage_counts_the_deals_it_moves(pipeline, boss, rep, admin_client):
    stages = by_name(pipeline)
    with time_machine.travel(moment("2026-06-01T10:00"), tick=False) as clock:
        deals = [new_deal(rep, pipeline) for _ in range(2)]
        clock.shift(datetime.timedelta(days=1))
        for opportunity in deals:
            move(rep, opportunity, stages["Proposal"])
        clock.shift(datetime.timedelta(days=3))
        response = admin_client.post(
            f"/settings/pipelines/stages/{stages['Proposal'].pk}/delete/",
            {"move_to": stages["Negotiation"].pk},
        )
    assert response.status_code == 302
    assert_totals_exact()
    assert funnel_days(boss, year_query(pipeline))["Proposal"] == (Decimal("3.0"), 2)
    assert_funnel_matches_history(boss, year_query(pipeline))


def test_merging_accounts_leaves_the_times_alone(pipeline, boss, rep):
    survivor, duplicate = AccountFactory(owner=rep), AccountFactory(owner=rep)
    stages = by_name(pipeline)
    with time_machine.travel(moment("2026-07-01T10:00"), tick=False) as clock:
        kept = new_deal(rep, pipeline, account=survivor)
        moved = new_deal(rep, pipeline, account=duplicate)
        clock.shift(datetime.timedelta(days=2))
        move(rep, kept, stages["Needs confirmed"])
        move(rep, moved, stages["Needs confirmed"])
    before = stored()

    records_merge(
        actor=boss,
        entity=registry.get("account"),
        survivor=survivor,
        duplicates=[duplicate],
        field_choices={},
    )

    assert Opportunity.objects.get(pk=moved.pk).account_id == survivor.pk
    assert stored() == before
    assert_totals_exact()
    assert_funnel_matches_history(boss, year_query(pipeline))


@pytest.fixture
def history(pipeline, rep):
    """Deals written straight into the stage history (as demo data and imports do)."""
    other = UserFactory(username="li.na")
    deal(rep, pipeline, "won", 1000, history=[(0, 1, 5), (1, 2, 10), (2, 3, 3), (3, "won", 2)])
    deal(rep, pipeline, "lost", 2000, history=[(0, 1, 3), (1, "lost", 4)], created="2026-01-20")
    deal(other, pipeline, 2, 3000, history=[(0, 1, 7), (1, 2, 1)], created="2026-02-14")
    deal(other, pipeline, 1, 4000, history=[(0, 1, 2.5)], created="2025-12-31")
    return other


def test_the_backfill_migration_sums_the_existing_history(history, boss, pipeline):
    FunnelStageTime.objects.all().delete()
    migration = importlib.import_module("guanxi.sales.migrations.0008_funnel_stage_time")

    migration.fill_stage_times(apps, None)

    assert_totals_exact()
    assert len(stored()) == 9  # March 4 stages, January 2, February 2, December 1
    assert_funnel_matches_history(boss, year_query(pipeline))
    assert funnel_days(boss, year_query(pipeline))["Prospecting"] == (Decimal("5.0"), 3)


def test_the_command_finds_wrong_totals_and_rebuilds_them(history, capsys):
    call_command("funnel_times")
    assert "wrong=0" in capsys.readouterr().out
    FunnelStageTime.objects.update(seconds=1)
    FunnelStageTime.objects.filter(pk=FunnelStageTime.objects.first().pk).delete()
    with pytest.raises(SystemExit):
        call_command("funnel_times")
    assert "wrong=9" in capsys.readouterr().out

    call_command("funnel_times", rebuild=True)

    assert "rebuilt rows=9" in capsys.readouterr().out
    assert_totals_exact()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-01-15", "2026-02-20"),  # days of January, days of February: no whole month
        ("2025-12-31", "2026-02-28"),  # one day, then two whole months
        ("2026-01-01", "2026-01-31"),  # exactly one month
        ("2026-02-14", "2026-02-14"),  # one day
        ("2025-12-01", "2026-03-31"),  # four whole months
    ],
)
def test_any_period_gives_the_days_of_the_history(history, boss, pipeline, start, end):
    query = year_query(
        pipeline,
        start=datetime.date.fromisoformat(start),
        end=datetime.date.fromisoformat(end),
    )
    assert funnel_times.answers(query)
    assert_funnel_matches_history(boss, query)


def test_whole_months_split_a_period():
    day = datetime.date.fromisoformat
    assert funnel_times.whole_months(day("2026-01-15"), day("2026-04-10")) == (
        (day("2026-02-01"), day("2026-03-01")),
        [(day("2026-01-15"), day("2026-01-31")), (day("2026-04-01"), day("2026-04-10"))],
    )
    assert funnel_times.whole_months(day("2026-01-01"), day("2026-12-31")) == (
        (day("2026-01-01"), day("2026-12-01")),
        [],
    )
    assert funnel_times.whole_months(day("2026-02-03"), day("2026-02-27")) == (
        None,
        [(day("2026-02-03"), day("2026-02-27"))],
    )


def test_a_scoped_funnel_reads_only_the_totals_of_the_owners_it_may_see(
    history, rep, boss, pipeline
):
    query = year_query(pipeline)
    assert funnel_times.owners_covered(rep, query) == ([rep.pk], False)
    # The rep's own deals only: Prospecting 5 and 3 days, Needs confirmed 10 and 4 days.
    days = funnel_days(rep, query)
    assert days["Prospecting"] == (Decimal("4.0"), 2)
    assert days["Needs confirmed"] == (Decimal("7.0"), 2)
    assert_funnel_matches_history(rep, query)
    # Another owner's totals are never read for the rep (but are for the director).
    FunnelStageTime.objects.filter(owner_key=history.pk).update(seconds=10**9)
    assert funnel_days(rep, query) == days
    assert funnel_days(boss, query)["Prospecting"] != oracle_days(boss, query)["Prospecting"]
    call_command("funnel_times", rebuild=True)
    # A deal shared with the rep counts for them, read from its history.
    shared = Opportunity.objects.get(amount=Decimal("3000"))
    Share.objects.create(entity="opportunity", object_id=shared.pk, user=rep, access="read")
    rep = User.objects.get(pk=rep.pk)
    assert funnel_times.owners_covered(rep, query) == ([rep.pk], True)
    assert funnel_days(rep, query)["Prospecting"] == (Decimal("5.0"), 3)
    assert_funnel_matches_history(rep, query)


def test_a_department_scope_reads_the_totals_of_its_people(history, rep, pipeline):
    from guanxi.core import org

    east = org.department_create(name="华东大区")
    manager = UserFactory(username="chen.jie", department=east)
    grant(manager, "opportunity", ["view"], scope="department_tree")
    User.objects.filter(pk=history.pk).update(department=east)
    query = year_query(pipeline)
    owners, others = funnel_times.owners_covered(manager, query)
    assert (sorted(owners), others) == (sorted([manager.pk, history.pk]), False)
    assert funnel_days(manager, query)["Prospecting"] == (Decimal("7.0"), 1)
    assert_funnel_matches_history(manager, query)


def test_team_and_me_filters_read_their_owners_totals(history, rep, boss, pipeline):
    team = Team.objects.create(name="华东一组")
    team.members.add(history)
    by_team = year_query(pipeline, scope=FunnelScope.TEAM, team=team)
    assert funnel_times.owners_covered(boss, by_team) == ([history.pk], False)
    assert funnel_days(boss, by_team)["Prospecting"] == (Decimal("7.0"), 1)
    assert_funnel_matches_history(boss, by_team)
    mine = year_query(pipeline, scope=FunnelScope.ME)
    assert funnel_times.owners_covered(rep, mine) == ([rep.pk], False)
    assert_funnel_matches_history(rep, mine)
    assert funnel_days(boss, mine)["Prospecting"] == (None, 0)


def test_close_basis_and_other_time_zones_read_the_history(history, boss, pipeline):
    by_close = year_query(pipeline, basis=FunnelBasis.CLOSE)
    assert not funnel_times.answers(by_close)
    assert_funnel_matches_history(boss, by_close)
    with timezone.override("Europe/Berlin"):
        assert not funnel_times.answers(year_query(pipeline))
        assert_funnel_matches_history(boss, year_query(pipeline))


def test_a_new_owner_takes_the_deals_times_along(pipeline, boss, rep, client_for):
    from guanxi.core.services import records_bulk_update
    from guanxi.sales.opportunity_services import move_open_deals

    other = UserFactory(username="sun.li")
    grant(other, "opportunity", ALL, scope="own")
    stages = by_name(pipeline)
    account = AccountFactory(owner=rep)
    with time_machine.travel(moment("2026-04-01T10:00"), tick=False) as clock:
        deals = [new_deal(rep, pipeline, account=account) for _ in range(3)]
        for index, opportunity in enumerate(deals):
            clock.shift(datetime.timedelta(days=index + 1))
            move(rep, opportunity, stages["Needs confirmed"])
        clock.shift(datetime.timedelta(days=1))
        # Through the edit form, with a stage change in the same save.
        opportunity = Opportunity.objects.get(pk=deals[0].pk)
        payload_owner = other.pk
        response = client_for(boss).post(
            f"/opportunities/{opportunity.pk}/edit/",
            {
                "name": opportunity.name,
                "account": account.pk,
                "pipeline": pipeline.pk,
                "stage": stages["Proposal"].pk,
                "amount": str(opportunity.amount),
                "currency": "CNY",
                "forecast_category": "pipeline",
                "owner": payload_owner,
                "version": opportunity.version,
            },
        )
        assert response.status_code == 302
    assert Opportunity.objects.get(pk=deals[0].pk).owner_id == other.pk
    assert_totals_exact()
    assert funnel_days(other, year_query(pipeline))["Prospecting"] == (Decimal("1.0"), 1)
    assert funnel_days(other, year_query(pipeline))["Needs confirmed"][1] == 1
    # The rep keeps the deals that left Prospecting after 3 and 6 days.
    assert funnel_days(rep, year_query(pipeline))["Prospecting"] == (Decimal("4.5"), 2)

    # A customer handed over with its open deals, then a bulk change of owner.
    move_open_deals(actor=boss, account=account, old_owner=rep, new_owner=other)
    assert_totals_exact()
    assert funnel_days(rep, year_query(pipeline))["Prospecting"] == (None, 0)
    records_bulk_update(
        actor=boss,
        entity=registry.get("opportunity"),
        queryset=Opportunity.objects.filter(pk__in=[deals[1].pk, deals[2].pk]),
        values={"owner": rep},
    )
    assert_totals_exact()
    for user in (rep, other, boss):
        assert_funnel_matches_history(user, year_query(pipeline))
    assert funnel_days(rep, year_query(pipeline))["Prospecting"] == (Decimal("4.5"), 2)
