"""Win/loss by competitor and partner performance: arithmetic, scope, screens and API."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.api.auth import token_create
from guanxi.core.models import AuditEntry
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory
from guanxi.sales import competitor_queries, partner_queries
from guanxi.sales.competitor_period import ReportScope
from guanxi.sales.models import CompetitorProduct, OpportunityCompetitor
from guanxi.sales.tests.factories import LeadFactory, OpportunityFactory, PipelineFactory
from guanxi.sales.tests.factories_telesales import CompetitorProductFactory

pytestmark = pytest.mark.django_db


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


@pytest.fixture
def pipeline():
    return PipelineFactory()


def deal(pipeline, owner, *, outcome="open", amount="100000", reason="", closed_days_ago=5):
    stage = pipeline.stages.get(
        is_won=outcome == "won", is_lost=outcome == "lost", position__in=[0, 4, 5]
    )
    opportunity = OpportunityFactory(
        pipeline=pipeline, stage=stage, owner=owner, amount=Decimal(amount), close_reason=reason
    )
    if outcome != "open":
        opportunity.closed_at = timezone.now() - datetime.timedelta(days=closed_days_ago)
        opportunity.save(update_fields=["closed_at"])
    return opportunity


def against(opportunity, competitor, price=None, winner=False):
    return OpportunityCompetitor.objects.create(
        opportunity=opportunity,
        competitor=competitor,
        price=Decimal(price) if price else None,
        is_winner=winner,
    )


@pytest.fixture
def world(pipeline):
    """Two reps; a competitor met on five deals of rep A and one of rep B."""
    rep_a, rep_b = UserFactory(username="rep.a"), UserFactory(username="rep.b")
    rival = AccountFactory(name="杭州竞品科技有限公司", account_type="competitor", owner=rep_a)
    against(deal(pipeline, rep_a, outcome="won", amount="100000"), rival, "120000")
    against(deal(pipeline, rep_a, outcome="won", amount="50000"), rival)
    lost = deal(pipeline, rep_a, outcome="lost", amount="80000", reason="price")
    against(lost, rival, "60000", winner=True)
    against(deal(pipeline, rep_a, outcome="lost", amount="20000", reason="price"), rival, "20000")
    against(deal(pipeline, rep_a, outcome="open", amount="30000"), rival)
    against(deal(pipeline, rep_b, outcome="lost", amount="40000", reason="timing"), rival)
    # Closed long before the period: not counted.
    against(deal(pipeline, rep_a, outcome="won", amount="999", closed_days_ago=400), rival)
    return {"a": rep_a, "b": rep_b, "rival": rival}


def test_analysis_counts_win_rate_amounts_and_average_prices(world):
    manager = UserFactory(username="manager")
    grant(manager, "opportunity", ["view"], "all")
    grant(manager, "account", ["view"], "all")
    rows = competitor_queries.competitor_analysis(manager, ReportScope(start=_days_ago(90)))
    [row] = rows
    assert (row.faced, row.won, row.lost, row.open, row.lost_to_them) == (6, 2, 3, 1, 1)
    assert row.win_rate == Decimal("40.0")
    assert row.amount_won == Decimal("150000.00")
    assert row.amount_lost == Decimal("140000.00")
    # Their price is known on three deals: 120,000, 60,000, 20,000; ours there 100k, 80k, 20k.
    assert row.average_their_price == Decimal("66666.67")
    assert row.average_our_price == Decimal("66666.67")
    assert row.loss_reasons == [
        {"code": "price", "label": "Price", "count": 2},
        {"code": "timing", "label": "Timing", "count": 1},
    ]


def test_a_rep_counts_only_the_deals_they_may_see(world):
    rep_b = world["b"]
    grant(rep_b, "opportunity", ["view"], "own")
    grant(rep_b, "account", ["view"], "all")
    [row] = competitor_queries.competitor_analysis(rep_b, ReportScope(start=_days_ago(90)))
    assert (row.faced, row.won, row.lost, row.win_rate) == (1, 0, 1, Decimal("0.0"))
    assert row.amount_lost == Decimal("40000.00")


def test_owner_filter_narrows_inside_the_visible_deals(world):
    manager = UserFactory(username="manager")
    grant(manager, "opportunity", ["view"], "all")
    grant(manager, "account", ["view"], "all")
    scope = ReportScope(start=_days_ago(90), owner_id=world["b"].pk)
    [row] = competitor_queries.competitor_analysis(manager, scope)
    assert row.faced == 1


def _days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


def test_analysis_screen_drills_down_to_the_lost_deals(world, client_for):
    manager = UserFactory(username="manager")
    grant(manager, "opportunity", ["view"], "all")
    grant(manager, "account", ["view"], "all")
    rival = world["rival"]
    client = client_for(manager)
    client.get("/sales/competitors/analysis/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/sales/competitors/analysis/?competitor={rival.pk}&outcome=lost")
    assert response.status_code == 200
    assert len(queries) <= 16, [q["sql"] for q in queries]
    page = response.content.decode()
    assert f'data-testid="win-rate-{rival.pk}">40.0%' in page
    assert page.count('data-testid="deal-') == 3


def test_analysis_screen_refuses_a_bad_period_with_a_message(world, client_for):
    manager = UserFactory(username="manager")
    grant(manager, "opportunity", ["view"], "all")
    response = client_for(manager).get("/sales/competitors/analysis/?start=2026-13-45")
    assert response.status_code == 400
    assert "Enter a valid date (YYYY-MM-DD)." in response.content.decode()


def test_competitors_api_lists_products_and_figures_in_few_queries(world):
    manager = UserFactory(username="manager")
    grant(manager, "opportunity", ["view"], "all")
    grant(manager, "account", ["view"], "all")
    CompetitorProductFactory(competitor=world["rival"], name="竞品 ERP", strengths="价格低")
    for index in range(3):
        other = AccountFactory(name=f"竞品{index}", account_type="competitor")
        CompetitorProductFactory(competitor=other)
    client = api(manager)
    client.get("/api/v1/competitors")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/competitors")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    rival = next(item for item in body["items"] if item["id"] == world["rival"].pk)
    assert rival["products"][0]["name"] == "竞品 ERP"
    assert rival["figures"]["faced"] == 6
    assert rival["figures"]["win_rate"] == "40.0"
    assert len(queries) <= 10, [q["sql"] for q in queries]


def test_competitor_analysis_api_and_scope(world):
    rep_b = world["b"]
    grant(rep_b, "opportunity", ["view"], "own")
    grant(rep_b, "account", ["view"], "all")
    response = api(rep_b).get(f"/api/v1/competitors/{world['rival'].pk}/analysis")
    assert response.status_code == 200
    body = response.json()
    assert body["figures"]["faced"] == 1
    assert [deal["owner"] for deal in body["deals"]] == [rep_b.pk]
    bad = api(rep_b).get(
        f"/api/v1/competitors/{world['rival'].pk}/analysis?start=2026-05-01&end=2026-04-01"
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"end": ["The end of the period comes before its start."]}


def test_competing_products_through_the_api_need_edit_rights(world):
    rep_b = world["b"]
    grant(rep_b, "account", ["view"], "all")
    rival = world["rival"]
    payload = {"name": "Nordlicht CRM", "price_min": "5000", "price_max": "3000"}
    denied = api(rep_b).post(
        f"/api/v1/competitors/{rival.pk}/products", payload, "application/json"
    )
    assert denied.status_code == 404
    assert CompetitorProduct.objects.count() == 0
    editor = UserFactory(username="editor")
    grant(editor, "account", ["view", "edit"], "all")
    wrong = api(editor).post(
        f"/api/v1/competitors/{rival.pk}/products", payload, "application/json"
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"]["price_max"] == ["The upper price is below the lower one."]
    payload["price_max"] = "9000"
    made = api(editor).post(f"/api/v1/competitors/{rival.pk}/products", payload, "application/json")
    assert made.status_code == 201
    product_id = made.json()["id"]
    changed = api(editor).patch(
        f"/api/v1/competitor-products/{product_id}", {"weaknesses": "实施慢"}, "application/json"
    )
    assert changed.json()["weaknesses"] == "实施慢"
    assert AuditEntry.objects.filter(entity="account", object_id=rival.pk).count() == 2
    assert api(editor).delete(f"/api/v1/competitor-products/{product_id}").status_code == 204
    assert CompetitorProduct.objects.count() == 0


def test_competitive_tab_only_on_competitors(world, client_for):
    manager = UserFactory(username="manager")
    grant(manager, "opportunity", ["view"], "all")
    grant(manager, "account", ["view", "edit"], "all")
    client = client_for(manager)
    CompetitorProductFactory(competitor=world["rival"], name="竞品 ERP")
    page = client.get(f"/accounts/{world['rival'].pk}/?tab=competitive").content.decode()
    assert 'data-testid="tab-competitive"' in page
    assert "竞品 ERP" in page
    # All time on the tab: the deal closed 400 days ago counts too.
    assert 'data-testid="tab-faced">7<' in page
    customer = AccountFactory(owner=manager)
    other = client.get(f"/accounts/{customer.pk}/").content.decode()
    assert 'data-testid="tab-competitive"' not in other
    assert 'data-testid="tab-partner"' not in other


def test_partner_performance_counts_leads_conversions_and_deals(pipeline):
    rep = UserFactory(username="rep.p")
    grant(rep, "account", ["view"], "all")
    grant(rep, "lead", ["view"], "own")
    grant(rep, "opportunity", ["view"], "own")
    partner = AccountFactory(name="成都渠道伙伴", account_type="reseller", owner=rep)
    LeadFactory.create_batch(3, partner=partner, owner=rep)
    LeadFactory(partner=partner, owner=rep, converted_at=timezone.now(), status="converted")
    LeadFactory(partner=partner)  # someone else's: not seen
    won = deal(pipeline, rep, outcome="won", amount="70000")
    lost = deal(pipeline, rep, outcome="lost", amount="10000")
    open_deal = deal(pipeline, rep, outcome="open", amount="25000")
    for opportunity in (won, lost, open_deal):
        opportunity.partner = partner
        opportunity.save(update_fields=["partner"])
    [row] = partner_queries.partner_performance(rep, ReportScope(start=_days_ago(30)))
    assert (row.leads, row.converted, row.deals, row.won, row.lost) == (4, 1, 3, 1, 1)
    assert row.won_amount == Decimal("70000.00")
    assert row.pipeline_amount == Decimal("25000.00")
    assert row.win_rate == Decimal("50.0")
    body = api(rep).get("/api/v1/partners/performance").json()
    assert body["items"][0]["won_amount"] == "70000.00"
    assert body["items"][0]["leads"] == 4
    page = Client()
    page.force_login(rep)
    assert page.get("/sales/partners/").status_code == 200
    tab = page.get(f"/accounts/{partner.pk}/?tab=partner").content.decode()
    assert tab.count("<tr><td>L") == 4
