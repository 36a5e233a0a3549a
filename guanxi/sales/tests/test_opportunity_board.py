"""The kanban board: scoped totals, a query count that does not grow with deals, moves."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.core.models import Team
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.sales.models import Opportunity
from guanxi.sales.tests.factories import OpportunityFactory, PipelineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline():
    return PipelineFactory()


@pytest.fixture
def rep():
    rep = UserFactory(username="li.na")
    grant(rep, "opportunity", scope="own")
    return rep


def stage(pipeline, name):
    return pipeline.stages.get(name_en=name)


def deal(pipeline, owner, stage_name="Prospecting", amount="100000.00", **kwargs):
    chosen = stage(pipeline, stage_name)
    return OpportunityFactory(
        pipeline=pipeline,
        stage=chosen,
        owner=owner,
        amount=Decimal(amount),
        probability=chosen.probability,
        **kwargs,
    )


def test_a_reps_board_counts_only_the_deals_they_may_see(client_for, pipeline, rep):
    colleague = UserFactory(username="wang.qiang")
    deal(pipeline, rep, "Prospecting", "100000.00")
    deal(pipeline, rep, "Proposal", "50000.00")
    deal(pipeline, rep, "Proposal", "30000.00")
    deal(pipeline, colleague, "Proposal", "999999.00")
    response = client_for(rep).get(f"/opportunities/board/?pipeline={pipeline.pk}")
    assert response.status_code == 200
    columns = {column.stage.name_en: column for column in response.context["columns"]}
    assert [name for name in columns] == [
        "Prospecting",
        "Needs confirmed",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    proposal = columns["Proposal"]
    assert (proposal.count, proposal.amount, proposal.weighted) == (
        2,
        Decimal("80000.00"),
        Decimal("48000.00"),
    )
    assert (columns["Prospecting"].count, columns["Prospecting"].weighted) == (
        1,
        Decimal("10000.00"),
    )
    assert [card.amount for card in proposal.cards] == [Decimal("50000.00"), Decimal("30000.00")]
    assert "999,999" not in response.content.decode()


def test_the_team_owner_and_close_filters_narrow_the_board(client_for, pipeline, rep):
    manager = UserFactory(username="zhang.wei")
    grant(manager, "opportunity", scope="all")
    team = Team.objects.create(name="华东大客户组")
    team.members.add(rep)
    other = UserFactory(username="other")
    today = timezone.localdate()
    deal(pipeline, rep, expected_close=today)
    deal(pipeline, rep, expected_close=today + datetime.timedelta(days=400))
    deal(pipeline, other, expected_close=today)
    client = client_for(manager)

    def count(query):
        response = client.get(f"/opportunities/board/?pipeline={pipeline.pk}&{query}")
        return response.context["columns"][0].count

    assert count("") == 3
    assert count(f"team={team.pk}") == 2
    assert count(f"owner={other.pk}") == 1
    assert count(f"team={team.pk}&close=this_month") == 1


def test_the_board_query_count_stays_the_same_as_deals_grow(client_for, pipeline, rep):
    deal(pipeline, rep)
    client = client_for(rep)
    client.get(f"/opportunities/board/?pipeline={pipeline.pk}")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/opportunities/board/?pipeline={pipeline.pk}")
    for name in ("Prospecting", "Proposal", "Negotiation", "Won", "Lost", "Needs confirmed"):
        for _ in range(3):
            deal(pipeline, rep, name)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/opportunities/board/?pipeline={pipeline.pk}")
    assert sum(column.count for column in response.context["columns"]) == 19
    # The columns' ranked ids: one query for all of them where the database can rank each
    # column in one branch of a UNION ALL (PostgreSQL), else one per column; none per card.
    per_column = 0 if connection.features.supports_slicing_ordering_in_compound else 5
    assert len(many) == len(few) + per_column, "\n".join(q["sql"] for q in many.captured_queries)
    for _ in range(10):
        deal(pipeline, rep, "Proposal")
    with CaptureQueriesContext(connection) as more:
        client.get(f"/opportunities/board/?pipeline={pipeline.pk}")
    assert len(more) == len(many)


def test_a_column_shows_a_page_and_loads_more(client_for, pipeline, rep, monkeypatch):
    from guanxi.sales import opportunity_queries

    monkeypatch.setattr(opportunity_queries, "PAGE", 2)
    for amount in ("5.00", "4.00", "3.00"):
        deal(pipeline, rep, amount=amount)
    client = client_for(rep)
    first = stage(pipeline, "Prospecting")
    response = client.get(f"/opportunities/board/?pipeline={pipeline.pk}")
    column = response.context["columns"][0]
    assert ([card.amount for card in column.cards], column.more) == (
        [Decimal("5.00"), Decimal("4.00")],
        True,
    )
    more = client.get(
        f"/opportunities/board/more/?pipeline={pipeline.pk}&stage={first.pk}&offset=2"
    )
    assert [card.amount for card in more.context["column"].cards] == [Decimal("3.00")]
    assert more.context["column"].more is False


def test_rotting_deals_are_marked_by_their_stages_threshold(client_for, pipeline, rep):
    prospecting = stage(pipeline, "Prospecting")
    prospecting.rotting_days = 14
    prospecting.save()
    old = deal(pipeline, rep, name="老商机")
    fresh = deal(pipeline, rep, name="新商机")
    Opportunity.objects.filter(pk=old.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=20)
    )
    response = client_for(rep).get(f"/opportunities/board/?pipeline={pipeline.pk}")
    cards = {card.pk: card for card in response.context["columns"][0].cards}
    assert (cards[old.pk].is_rotting, cards[old.pk].days_in_stage) == (True, 20)
    assert (cards[fresh.pk].is_rotting, cards[fresh.pk].days_in_stage) == (False, 0)
    assert response.content.decode().count("board-card is-rotting") == 1


def test_moving_from_the_board_answers_the_new_totals(client_for, pipeline, rep):
    moved = deal(pipeline, rep, amount="10000.00")
    response = client_for(rep).post(
        f"/opportunities/{moved.pk}/stage/",
        {"stage": stage(pipeline, "Negotiation").pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["probability"]) == (2, 80)
    assert body["totals"][str(stage(pipeline, "Negotiation").pk)] == {
        "count": 1,
        "amount": "¥10,000.00",
        "weighted": "¥8,000.00",
    }
    assert body["totals"][str(stage(pipeline, "Prospecting").pk)]["count"] == 0


def test_a_refused_move_answers_why_for_the_board_to_snap_back(client_for, pipeline, rep):
    moved = deal(pipeline, rep, next_step="")
    target = stage(pipeline, "Proposal")
    target.required_fields = ["next_step"]
    target.save()
    client = client_for(rep)
    refused = client.post(
        f"/opportunities/{moved.pk}/stage/",
        {"stage": target.pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 400
    assert json.loads(refused.content) == {
        "detail": "Fill in next step before moving the deal to “Proposal”.",
        "errors": {"stage": ["Fill in next step before moving the deal to “Proposal”."]},
    }
    stale = client.post(
        f"/opportunities/{moved.pk}/stage/",
        {"stage": stage(pipeline, "Needs confirmed").pk, "version": 7},
        HTTP_ACCEPT="application/json",
    )
    assert stale.status_code == 409
    moved.refresh_from_db()
    assert (moved.stage.name_en, moved.version) == ("Prospecting", 1)


def test_every_column_ranks_its_biggest_deals_first_ties_by_newest(pipeline, rep, admin_user):
    from guanxi.sales import opportunity_queries

    team = Team.objects.create(name="华南二组")
    colleague = UserFactory(username="zhou.yu")
    team.members.add(rep, colleague)
    outsider = UserFactory(username="qian.bo")
    made = {}
    for name in ("Prospecting", "Proposal", "Won"):
        for index, amount in enumerate(("300.00", "500.00", "500.00", "100.00", "500.00")):
            owner = (rep, colleague)[index % 2]
            made.setdefault(name, []).append(deal(pipeline, owner, name, amount))
        deal(pipeline, outsider, name, "900000.00")

    columns = opportunity_queries.board(admin_user, pipeline, {"team": str(team.pk)}, per_column=3)

    shown = {column.stage.name_en: column for column in columns if column.count}
    assert set(shown) == {"Prospecting", "Proposal", "Won"}
    for name, column in shown.items():
        deals = made[name]
        # The three 500s, newest first; the 300 and the 100 are on the next page.
        assert [card.pk for card in column.cards] == [deals[4].pk, deals[2].pk, deals[1].pk]
        assert column.more is True
        assert column.count == 5


def test_the_weighted_total_is_exact_to_the_cent(pipeline, rep):
    from guanxi.sales import opportunity_queries

    proposal = stage(pipeline, "Proposal")
    for amount, probability in (("1234.57", 33), ("0.05", 10), ("999999.99", 67)):
        OpportunityFactory(
            pipeline=pipeline,
            stage=proposal,
            owner=rep,
            amount=Decimal(amount),
            probability=probability,
        )
    totals = opportunity_queries.board_totals(Opportunity.objects.filter(pipeline=pipeline))
    # 407.4081 + 0.005 + 669999.9933 = 670407.4064 → 670407.41
    assert totals[proposal.pk]["weighted"] == Decimal("670407.41")
    assert totals[proposal.pk]["amount"] == Decimal("1001234.61")
