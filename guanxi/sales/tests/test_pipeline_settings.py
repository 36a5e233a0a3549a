"""Pipelines: the default one, the settings screen, stage rules, reordering and deleting."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers import ownership
from guanxi.customers import services as customer_services
from guanxi.customers.models import Account, Pool
from guanxi.customers.pool_rules import pools_apply_rules
from guanxi.customers.tests.factories import AccountFactory
from guanxi.sales.models import Opportunity, Pipeline, Stage, StageChange
from guanxi.sales.pipeline_services import pipeline_default, stage_delete
from guanxi.sales.tests.factories import STAGES, OpportunityFactory, PipelineFactory

pytestmark = pytest.mark.django_db


def management(prefix, rows):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                data[f"{prefix}-{index}-{key}"] = "on"
            elif value not in (False, None):
                data[f"{prefix}-{index}-{key}"] = value
    return data


def test_the_default_pipeline_is_created_once_with_the_standard_bilingual_stages():
    pipeline = pipeline_default()
    assert pipeline_default() == pipeline
    assert Pipeline.objects.count() == 1
    stages = list(pipeline.stages.order_by("position"))
    assert [(s.name_zh, s.name_en, s.probability, s.is_won, s.is_lost) for s in stages] == list(
        STAGES
    )
    assert pipeline.is_default


def test_admin_creates_a_pipeline_on_the_settings_screen(admin_client):
    rows = [
        {"name_zh": "初访", "name_en": "First visit", "probability": "10", "rotting_days": "7"},
        {
            "name_zh": "报价",
            "name_en": "Quote",
            "probability": "50",
            "required_fields": ["amount", "expected_close"],
        },
        {"name_zh": "赢单", "name_en": "Won", "probability": "100", "is_won": True},
        {"name_zh": "输单", "name_en": "Lost", "probability": "0", "is_lost": True},
        {"name_zh": "", "probability": "10"},
    ]
    data = {
        "pipeline-name_zh": "项目型销售",
        "pipeline-name_en": "Projects",
        "pipeline-is_active": "on",
        "pipeline-position": "1",
        **management("stages", rows),
    }
    response = admin_client.post("/settings/pipelines/new/", data)
    assert response.status_code == 302, response.content.decode()
    pipeline = Pipeline.objects.get(name_zh="项目型销售")
    assert [
        (s.name_en, s.probability, s.required_fields, s.rotting_days)
        for s in pipeline.stages.order_by("position")
    ] == [
        ("First visit", 10, [], 7),
        ("Quote", 50, ["amount", "expected_close"], None),
        ("Won", 100, [], None),
        ("Lost", 0, [], None),
    ]
    listed = admin_client.get("/settings/pipelines/").content.decode()
    assert "Projects" in listed


def test_a_pipeline_without_exactly_one_won_and_lost_stage_is_refused(admin_client):
    rows = [
        {"name_zh": "初访", "probability": "10"},
        {"name_zh": "赢单", "probability": "100", "is_won": True},
        {"name_zh": "也赢", "probability": "100", "is_won": True},
    ]
    data = {"pipeline-name_zh": "坏流程", "pipeline-position": "0", **management("stages", rows)}
    response = admin_client.post("/settings/pipelines/new/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "A pipeline needs exactly one won stage." in page
    assert "A pipeline needs exactly one lost stage." in page
    assert Pipeline.objects.count() == 0


def test_a_rep_may_not_open_the_settings(client_for):
    rep = UserFactory(username="rep2")
    assert client_for(rep).get("/settings/pipelines/").status_code == 403


def test_stages_move_up_and_down(admin_client):
    pipeline = PipelineFactory()
    first, second = pipeline.stages.order_by("position")[:2]
    assert admin_client.post(f"/settings/pipelines/stages/{second.pk}/up/").status_code == 302
    assert list(pipeline.stages.order_by("position").values_list("name_en", flat=True))[:2] == [
        "Needs confirmed",
        "Prospecting",
    ]
    admin_client.post(f"/settings/pipelines/stages/{second.pk}/down/")
    assert pipeline.stages.order_by("position").first() == first


def test_deleting_a_stage_with_deals_is_refused_then_moves_them(admin_client, admin_user):
    pipeline = PipelineFactory()
    proposal = pipeline.stages.get(name_en="Proposal")
    negotiation = pipeline.stages.get(name_en="Negotiation")
    deals = [OpportunityFactory(pipeline=pipeline, stage=proposal) for _ in range(2)]
    for deal in deals:
        StageChange.objects.create(opportunity=deal, to_stage=proposal)
    refused = admin_client.post(f"/settings/pipelines/stages/{proposal.pk}/delete/", {})
    assert refused.status_code == 400
    assert "This stage still has deals. Choose the stage to move them to." in (
        refused.content.decode()
    )
    assert Opportunity.objects.filter(stage=proposal).count() == 2

    moved = admin_client.post(
        f"/settings/pipelines/stages/{proposal.pk}/delete/", {"move_to": negotiation.pk}
    )
    assert moved.status_code == 302
    assert Opportunity.objects.filter(stage=negotiation).count() == 2
    proposal.refresh_from_db()
    # Deals passed through it, so it stays for their history, hidden from the pipeline.
    assert proposal.is_archived
    assert StageChange.objects.filter(from_stage=proposal, to_stage=negotiation).count() == 2
    unused = pipeline.stages.get(name_en="Needs confirmed")
    stage_delete(actor=admin_user, stage=unused)
    assert not Stage.objects.filter(pk=unused.pk).exists()
    with pytest.raises(ValidationError):
        stage_delete(actor=admin_user, stage=pipeline.stages.get(name_en="Won"))


def test_open_deals_keep_customers_out_of_the_pool_and_move_on_transfer():
    rep, heir = UserFactory(username="rep"), UserFactory(username="heir")
    manager = UserFactory(username="manager")
    grant(manager, "account", scope="all")
    pool = Pool.objects.create(name="公海", days_without_deal=90, is_default=True)
    now = timezone.now()
    kept = AccountFactory(owner=rep, name="有商机", pool=pool)
    returned = AccountFactory(owner=rep, name="只有输单", pool=pool)
    Account.objects.filter(pk__in=[kept.pk, returned.pk]).update(
        owned_at=now - datetime.timedelta(days=100), last_followed_up_at=now
    )
    pipeline = PipelineFactory()
    open_deal = OpportunityFactory(owner=rep, account=kept, pipeline=pipeline)
    OpportunityFactory(
        owner=rep, account=returned, pipeline=pipeline, stage=pipeline.stages.get(is_lost=True)
    )
    assert ownership.accounts_with_open_deals([kept.pk, returned.pk]) == {kept.pk}
    pools_apply_rules(now=now)
    assert list(Account.objects.filter(owner__isnull=True).values_list("name", flat=True)) == [
        "只有输单"
    ]
    customer_services.account_transfer(
        actor=manager, account=kept, owner=heir, include_related=True
    )
    open_deal.refresh_from_db()
    assert (open_deal.owner, open_deal.version) == (heir, 2)


def test_the_customer_page_lists_its_opportunities(client_for):
    rep = UserFactory(username="rep3")
    grant(rep, "account", scope="own")
    grant(rep, "opportunity", scope="own")
    account = AccountFactory(owner=rep)
    OpportunityFactory(owner=rep, account=account, name="ERP 二期项目")
    OpportunityFactory(account=account, name="别人的商机")
    response = client_for(rep).get(f"/accounts/{account.pk}/?tab=opportunities")
    page = response.content.decode()
    assert "ERP 二期项目" in page
    assert "别人的商机" not in page
