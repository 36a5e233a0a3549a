"""The opportunity and pipeline API: stage moves, the board, nested records, pipelines."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guanxi.api.auth import token_create
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.sales.models import Opportunity, Pipeline, Stage
from guanxi.sales.tests.factories import OpportunityFactory, PipelineFactory

pytestmark = pytest.mark.django_db


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


@pytest.fixture
def rep():
    rep = UserFactory(username="li.na")
    grant(rep, "opportunity", scope="own")
    grant(rep, "contact", ["view"], scope="own")
    grant(rep, "account", ["view"], scope="own")
    return rep


@pytest.fixture
def deal(rep):
    return OpportunityFactory(owner=rep, next_step="")


def named(pipeline, name):
    return pipeline.stages.get(name_en=name)


def test_stage_endpoint_moves_refuses_stale_and_names_required_fields(rep, deal):
    client = api(rep)
    proposal = named(deal.pipeline, "Proposal")
    proposal.required_fields = ["next_step"]
    proposal.save()
    refused = post(
        client, f"/api/v1/opportunities/{deal.pk}/stage", {"stage": proposal.pk, "version": 1}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "stage": ["Fill in next step before moving the deal to “Proposal”."]
    }
    moved = post(
        client,
        f"/api/v1/opportunities/{deal.pk}/stage",
        {"stage": named(deal.pipeline, "Needs confirmed").pk, "version": 1},
    )
    assert moved.status_code == 200
    assert {key: moved.json()[key] for key in ("version", "probability", "closed_at")} == {
        "version": 2,
        "probability": 30,
        "closed_at": None,
    }
    stale = post(
        client,
        f"/api/v1/opportunities/{deal.pk}/stage",
        {"stage": named(deal.pipeline, "Won").pk, "version": 1},
    )
    assert stale.status_code == 409
    assert set(stale.json()) == {"detail", "errors"}
    lost = post(
        client,
        f"/api/v1/opportunities/{deal.pk}/stage",
        {"stage": named(deal.pipeline, "Lost").pk, "version": 2, "close_reason": "price"},
    )
    assert (lost.json()["close_reason"], lost.json()["probability"]) == ("price", 0)
    history = client.get(f"/api/v1/opportunities/{deal.pk}/stage-changes").json()
    assert [(row["from_stage"], row["to_stage"]) for row in history] == [
        (named(deal.pipeline, "Prospecting").pk, named(deal.pipeline, "Needs confirmed").pk),
        (named(deal.pipeline, "Needs confirmed").pk, named(deal.pipeline, "Lost").pk),
    ]


def test_a_deal_outside_the_scope_answers_404(rep, deal):
    other = UserFactory(username="wang.qiang")
    grant(other, "opportunity", scope="own")
    response = post(
        api(other),
        f"/api/v1/opportunities/{deal.pk}/stage",
        {"stage": named(deal.pipeline, "Won").pk},
    )
    assert response.status_code == 404
    deal.refresh_from_db()
    assert deal.stage.name_en == "Prospecting"


def test_board_endpoint_returns_scoped_totals_and_cards(rep, deal):
    OpportunityFactory(pipeline=deal.pipeline, amount=Decimal("5.00"))  # someone else's
    client = api(rep)
    client.get(f"/api/v1/opportunities/board?pipeline={deal.pipeline_id}")
    with CaptureQueriesContext(connection) as few:
        body = client.get(f"/api/v1/opportunities/board?pipeline={deal.pipeline_id}").json()
    first = body["columns"][0]
    assert (first["name"], first["count"], first["amount"], first["weighted_amount"]) == (
        "Prospecting",
        1,
        "120000.00",
        "12000.00",
    )
    assert [card["id"] for card in first["cards"]] == [deal.pk]
    assert [column["count"] for column in body["columns"][1:]] == [0, 0, 0, 0, 0]
    for _ in range(5):
        OpportunityFactory(owner=rep, pipeline=deal.pipeline, stage=deal.stage)
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"/api/v1/opportunities/board?pipeline={deal.pipeline_id}").json()
    assert body["columns"][0]["count"] == 6
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_contacts_lines_and_competitors_through_the_api(rep, deal):
    client = api(rep)
    contact = ContactFactory(owner=rep, account=deal.account, name="陈静")
    added = post(
        client,
        f"/api/v1/opportunities/{deal.pk}/contacts",
        {"contact": contact.pk, "role": "decision_maker", "is_primary": True},
    )
    assert added.json() == [
        {"contact": contact.pk, "name": "陈静", "role": "decision_maker", "is_primary": True}
    ]
    lines = post(
        client,
        f"/api/v1/opportunities/{deal.pk}/lines?use_as_amount=true",
        {
            "product_name": "扫码枪 X3",
            "quantity": "10",
            "unit_price": "1200.00",
            "discount_percent": "10",
        },
    )
    assert lines.status_code == 201
    assert lines.json()[0]["total"] == "10800.00"
    deal.refresh_from_db()
    assert deal.amount == Decimal("10800.00")
    bad_line = post(
        client, f"/api/v1/opportunities/{deal.pk}/lines", {"product_name": "", "unit_price": "-1"}
    )
    assert bad_line.status_code == 400
    assert set(bad_line.json()["errors"]) == {"product_name", "unit_price"}

    rival = AccountFactory(owner=rep, name="金蝶软件", account_type="competitor")
    customer = AccountFactory(owner=rep, name="不是对手", account_type="customer")
    not_rival = post(
        client, f"/api/v1/opportunities/{deal.pk}/competitors", {"competitor": customer.pk}
    )
    assert not_rival.status_code == 400
    assert list(not_rival.json()["errors"]) == ["competitor"]
    on_deal = post(
        client,
        f"/api/v1/opportunities/{deal.pk}/competitors",
        {"competitor": rival.pk, "price": "9800", "strengths": "价格低", "weaknesses": "实施慢"},
    )
    assert [(row["name"], row["price"]) for row in on_deal.json()] == [("金蝶软件", "9800.00")]
    assert (
        client.delete(f"/api/v1/opportunities/{deal.pk}/competitors/{rival.pk}").status_code == 204
    )
    assert client.get(f"/api/v1/opportunities/{deal.pk}/competitors").json() == []
    assert (
        client.delete(f"/api/v1/opportunities/{deal.pk}/contacts/{contact.pk}").status_code == 204
    )
    history = client.get(f"/api/v1/opportunities/{deal.pk}/timeline").json()["items"]
    assert [item["changes"][0]["label"] for item in history[:3]] == [
        "Contacts",
        "Competitors",
        "Competitors",
    ]


def test_pipelines_are_read_by_sales_and_changed_by_admins(rep, admin_user):
    stages = [
        {"name_zh": "接洽", "name_en": "Contact", "probability": 20},
        {"name_zh": "报价", "name_en": "Quote", "probability": 50, "required_fields": ["amount"]},
        {"name_zh": "成交", "name_en": "Won", "probability": 100, "is_won": True},
        {"name_zh": "失败", "name_en": "Lost", "probability": 0, "is_lost": True},
    ]
    payload = {"name_zh": "续约流程", "name_en": "Renewals", "stages": stages}
    assert post(api(rep), "/api/v1/pipelines", payload).status_code == 403
    admin = api(admin_user)
    created = post(admin, "/api/v1/pipelines", payload)
    assert created.status_code == 201
    body = created.json()
    assert [(s["name"], s["position"]) for s in body["stages"]] == [
        ("Contact", 0),
        ("Quote", 1),
        ("Won", 2),
        ("Lost", 3),
    ]
    listed = api(rep).get("/api/v1/pipelines").json()
    assert (listed["count"], listed["items"][0]["name_zh"]) == (1, "续约流程")

    two_won = {**payload, "stages": [*stages, {"name_zh": "又赢", "is_won": True}]}
    refused = admin.put(
        f"/api/v1/pipelines/{body['id']}", json.dumps(two_won), content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"stages": ["A pipeline needs exactly one won stage."]}

    quote = body["stages"][1]
    OpportunityFactory(
        owner=rep, pipeline=Pipeline.objects.get(pk=body["id"]), stage_id=quote["id"]
    )
    without_quote = {
        **payload,
        "stages": [{**s, "id": body["stages"][i]["id"]} for i, s in enumerate(stages) if i != 1],
    }
    busy = admin.put(
        f"/api/v1/pipelines/{body['id']}",
        json.dumps(without_quote),
        content_type="application/json",
    )
    assert busy.status_code == 400
    assert "报价 (1)" in busy.json()["errors"]["stages"][0]
    assert Stage.objects.filter(pipeline_id=body["id"]).count() == 4
    assert admin.delete(f"/api/v1/pipelines/{body['id']}").status_code == 409


def test_creating_a_deal_through_the_api_numbers_it_and_defaults_the_probability(rep):
    account = AccountFactory(owner=rep)
    pipeline = PipelineFactory()
    response = post(
        api(rep),
        "/api/v1/opportunities",
        {
            "name": "MES 升级",
            "account": account.pk,
            "pipeline": pipeline.pk,
            "stage": named(pipeline, "Negotiation").pk,
            "amount": "560000.00",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["probability"], body["owner"]) == ("O000001", 80, rep.pk)
    deal = Opportunity.objects.get(pk=body["id"])
    assert deal.stage_changes.count() == 1
    wrong = post(
        api(rep),
        "/api/v1/opportunities",
        {
            "name": "错的阶段",
            "account": account.pk,
            "pipeline": pipeline.pk,
            "stage": named(PipelineFactory(), "Proposal").pk,
        },
    )
    assert wrong.status_code == 400
    assert list(wrong.json()["errors"]) == ["stage"]
