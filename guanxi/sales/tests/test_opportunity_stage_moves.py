"""Stage moves: required fields, won and lost, reopening, stale versions, durations, events."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from guanxi.core import events
from guanxi.core.models import AuditEntry
from guanxi.core.services import StaleRecord
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.sales.models import Opportunity, StageChange
from guanxi.sales.opportunity_services import (
    after_write,
    opportunity_contact_add,
    opportunity_move_stage,
)
from guanxi.sales.tests.factories import OpportunityFactory, PipelineFactory

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(monkeypatch):
    """Freeze timezone.now at START; `clock.advance(hours=…)` moves it on."""

    class Clock:
        now = START

        def advance(self, **delta):
            self.now += datetime.timedelta(**delta)

    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


@pytest.fixture
def rep():
    rep = UserFactory(username="li.na")
    grant(rep, "opportunity", scope="own")
    grant(rep, "contact", ["view"], scope="own")
    return rep


def stages(pipeline):
    return {stage.name_en: stage for stage in pipeline.stages.all()}


def new_deal(rep, **kwargs):
    deal = OpportunityFactory(owner=rep, **kwargs)
    after_write(rep, deal, None)
    deal.refresh_from_db()
    return deal


def test_a_move_records_the_change_its_duration_history_and_one_event(
    rep, clock, django_capture_on_commit_callbacks
):
    seen = []
    events.subscribe("opportunity.stage_changed", seen.append)
    deal = new_deal(rep, amount=Decimal("80000.00"))
    named = stages(deal.pipeline)
    clock.advance(days=3, hours=4)
    with django_capture_on_commit_callbacks(execute=True):
        moved = opportunity_move_stage(
            actor=rep, opportunity=deal, stage=named["Proposal"], version=1
        )
    assert (moved.stage, moved.probability, moved.version) == (named["Proposal"], 60, 2)
    assert moved.stage_entered_at == clock.now
    changes = list(StageChange.objects.filter(opportunity=deal).order_by("changed_at"))
    assert [(c.from_stage, c.to_stage, c.seconds_in_previous) for c in changes] == [
        (None, named["Prospecting"], 0),
        (named["Prospecting"], named["Proposal"], 3 * 86400 + 4 * 3600),
    ]
    assert changes[1].amount == Decimal("80000.00")
    assert changes[1].changed_by == rep
    entry = AuditEntry.objects.get(entity="opportunity", object_id=deal.pk, action="update")
    assert entry.changes["stage"] == [
        {"id": named["Prospecting"].pk, "repr": "Prospecting"},
        {"id": named["Proposal"].pk, "repr": "Proposal"},
    ]
    stage_events = [event for event in seen if event.payload["id"] == deal.pk]
    assert len(stage_events) == 1
    assert {key: stage_events[0].payload[key] for key in ("from", "to", "amount", "actor")} == {
        "from": named["Prospecting"].pk,
        "to": named["Proposal"].pk,
        "amount": "80000.00",
        "actor": rep.pk,
    }


def test_no_event_leaves_when_the_transaction_rolls_back(rep, django_capture_on_commit_callbacks):
    seen = []
    events.subscribe("opportunity.stage_changed", seen.append)
    deal = new_deal(rep)
    named = stages(deal.pipeline)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        opportunity_move_stage(actor=rep, opportunity=deal, stage=named["Lost"])
    assert [event for event in seen if event.payload["id"] == deal.pk] == []


def test_required_fields_of_the_target_stage_are_named_and_nothing_changes(rep):
    deal = new_deal(rep, next_step="")
    proposal = stages(deal.pipeline)["Proposal"]
    proposal.required_fields = ["next_step", "contacts"]
    proposal.save()
    with pytest.raises(ValidationError) as refused:
        opportunity_move_stage(actor=rep, opportunity=deal, stage=proposal, version=1)
    assert refused.value.message_dict == {
        "stage": ["Fill in next step, Contacts before moving the deal to “Proposal”."]
    }
    deal.refresh_from_db()
    assert (deal.stage.name_en, deal.version, deal.stage_changes.count()) == ("Prospecting", 1, 1)

    Opportunity.objects.filter(pk=deal.pk).update(next_step="演示方案")
    opportunity_contact_add(
        actor=rep,
        opportunity=deal,
        contact=ContactFactory(owner=rep, account=deal.account),
        role="decision_maker",
    )
    moved = opportunity_move_stage(actor=rep, opportunity=deal, stage=proposal)
    assert moved.stage == proposal


def test_the_refusal_speaks_chinese_to_a_chinese_user(rep):
    from django.utils import translation

    deal = new_deal(rep, expected_close=None)
    proposal = stages(deal.pipeline)["Proposal"]
    proposal.required_fields = ["expected_close", "amount"]
    proposal.save()
    Opportunity.objects.filter(pk=deal.pk).update(amount=0)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        opportunity_move_stage(actor=rep, opportunity=deal, stage=proposal)
    assert refused.value.message_dict["stage"] == [
        "请先填写预计成交日期、金额，再把商机移到“方案报价”。"
    ]


def test_won_sets_probability_and_close_date_and_reopening_clears_them(rep, clock):
    deal = new_deal(rep)
    named = stages(deal.pipeline)
    clock.advance(days=10)
    won = opportunity_move_stage(
        actor=rep, opportunity=deal, stage=named["Won"], close_reason="relationship"
    )
    assert (won.probability, won.closed_at, won.close_reason) == (100, clock.now, "relationship")
    clock.advance(days=2)
    reopened = opportunity_move_stage(actor=rep, opportunity=deal, stage=named["Negotiation"])
    assert (reopened.probability, reopened.closed_at, reopened.close_reason) == (80, None, "")
    assert reopened.stage_changes.last().seconds_in_previous == 2 * 86400


def test_lost_needs_a_reason_unless_the_setting_says_otherwise(rep, settings):
    deal = new_deal(rep)
    lost = stages(deal.pipeline)["Lost"]
    with pytest.raises(ValidationError) as refused:
        opportunity_move_stage(actor=rep, opportunity=deal, stage=lost)
    assert refused.value.message_dict == {"close_reason": ["Say why the deal was lost."]}
    with pytest.raises(ValidationError) as unknown:
        opportunity_move_stage(actor=rep, opportunity=deal, stage=lost, close_reason="weather")
    assert unknown.value.message_dict == {"close_reason": ["Choose one of the listed reasons."]}

    moved = opportunity_move_stage(
        actor=rep, opportunity=deal, stage=lost, close_reason="price", close_note="贵了 20%"
    )
    assert (moved.probability, moved.close_reason, moved.close_note) == (0, "price", "贵了 20%")
    assert moved.closed_at is not None

    settings.GUANXI_LOST_REASON_REQUIRED = False
    other = new_deal(rep)
    assert opportunity_move_stage(
        actor=rep, opportunity=other, stage=stages(other.pipeline)["Lost"]
    ).stage.is_lost


def test_a_stale_version_is_refused_and_the_first_move_survives(rep):
    deal = new_deal(rep)
    named = stages(deal.pipeline)
    opportunity_move_stage(actor=rep, opportunity=deal, stage=named["Proposal"], version=1)
    with pytest.raises(StaleRecord):
        opportunity_move_stage(actor=rep, opportunity=deal, stage=named["Negotiation"], version=1)
    deal.refresh_from_db()
    assert (deal.stage, deal.version, deal.stage_changes.count()) == (named["Proposal"], 2, 2)


def test_a_stage_of_another_pipeline_is_refused(rep):
    deal = new_deal(rep)
    elsewhere = stages(PipelineFactory())["Proposal"]
    with pytest.raises(ValidationError) as refused:
        opportunity_move_stage(actor=rep, opportunity=deal, stage=elsewhere)
    assert refused.value.message_dict == {"stage": ["Choose a stage of the deal's own pipeline."]}
    deal.refresh_from_db()
    assert deal.stage.name_en == "Prospecting"


def test_a_colleague_outside_the_scope_may_not_move_the_deal(rep):
    deal = new_deal(rep)
    other = UserFactory(username="wang.qiang")
    grant(other, "opportunity", scope="own")
    viewer = UserFactory(username="viewer")
    grant(viewer, "opportunity", ["view"], scope="all")
    proposal = stages(deal.pipeline)["Proposal"]
    with pytest.raises(PermissionDenied):
        opportunity_move_stage(actor=other, opportunity=deal, stage=proposal)
    with pytest.raises(PermissionDenied):
        opportunity_move_stage(actor=viewer, opportunity=deal, stage=proposal)
    deal.refresh_from_db()
    assert deal.stage.name_en == "Prospecting"


def test_creating_through_the_form_records_the_first_stage(rep, client_for, clock):
    grant(rep, "account", ["view"], scope="own")
    account = AccountFactory(owner=rep)
    pipeline = PipelineFactory()
    named = stages(pipeline)
    response = client_for(rep).post(
        "/opportunities/new/",
        {
            "name": "智能仓储二期",
            "account": account.pk,
            "pipeline": pipeline.pk,
            "stage": named["Needs confirmed"].pk,
            "amount": "150000",
            "currency": "CNY",
            "forecast_category": "pipeline",
            "owner": rep.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()
    deal = Opportunity.objects.get(name="智能仓储二期")
    assert (deal.number, deal.probability, deal.stage_entered_at) == ("O000001", 30, clock.now)
    assert [(c.from_stage, c.to_stage) for c in deal.stage_changes.all()] == [
        (None, named["Needs confirmed"])
    ]


def test_the_form_refuses_a_stage_whose_required_fields_are_empty(rep, client_for):
    grant(rep, "account", ["view"], scope="own")
    deal = new_deal(rep, next_step="")
    proposal = stages(deal.pipeline)["Proposal"]
    proposal.required_fields = ["next_step"]
    proposal.save()
    payload = {
        "name": deal.name,
        "account": deal.account_id,
        "pipeline": deal.pipeline_id,
        "stage": proposal.pk,
        "amount": "120000",
        "currency": "CNY",
        "forecast_category": "pipeline",
        "owner": rep.pk,
        "version": 1,
    }
    response = client_for(rep).post(f"/opportunities/{deal.pk}/edit/", payload)
    assert response.status_code == 400
    assert "Fill in next step before moving the deal to “Proposal”." in response.content.decode()
    payload["next_step"] = "约客户演示"
    response = client_for(rep).post(f"/opportunities/{deal.pk}/edit/", payload)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.probability, deal.stage_changes.count()) == (proposal, 60, 2)
