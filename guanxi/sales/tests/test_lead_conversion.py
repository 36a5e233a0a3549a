"""Lead conversion: new records, chosen duplicates, the opportunity, rollback, API, bulk."""

from decimal import Decimal

import factory
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from guanxi.activities.models import Activity
from guanxi.activities.services import activity_log
from guanxi.api.auth import token_create
from guanxi.core import dedupe
from guanxi.core.models import AuditEntry
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account, Contact
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.sales.choices import LeadStatus
from guanxi.sales.lead_conversion import DuplicatesFound, lead_convert
from guanxi.sales.models import Lead, Opportunity, Pipeline, StageChange
from guanxi.sales.tests.factories import LeadFactory as BaseLeadFactory
from guanxi.sales.tests.factories import PipelineFactory

pytestmark = pytest.mark.django_db


class LeadFactory(BaseLeadFactory):
    number = factory.Sequence(lambda n: f"T{n:06d}")
    name = "周杰"
    company = "杭州云栖数据科技有限公司"
    mobile = "13912345678"
    email = "zhoujie@yunqi-data.cn"


def same_customer(owner):
    """Return an indexed customer with the lead's company name, phone and email."""
    account = AccountFactory(
        name="杭州云栖数据科技有限公司",
        phone="13912345678",
        email="zhoujie@yunqi-data.cn",
        owner=owner,
    )
    dedupe.index_record("account", account)
    return account


@pytest.fixture
def seller(db):
    user = UserFactory(username="seller")
    for entity in ("lead", "account", "contact", "opportunity"):
        grant(user, entity, scope="all")
    return user


def test_convert_creates_customer_contact_and_moves_activities(seller):
    lead = LeadFactory(owner=seller)
    call = activity_log(actor=seller, kind="call", subject="首次电话", record=lead)

    converted = lead_convert(actor=seller, lead=lead)

    account = Account.objects.get()
    contact = Contact.objects.get()
    assert (account.name, account.kind, account.owner) == (
        "杭州云栖数据科技有限公司",
        "company",
        seller,
    )
    assert (contact.name, contact.account, contact.mobile, contact.is_primary) == (
        "周杰",
        account,
        "13912345678",
        True,
    )
    assert converted.status == LeadStatus.CONVERTED
    assert (converted.converted_account, converted.converted_contact) == (account, contact)
    assert converted.converted_opportunity is None
    call.refresh_from_db()
    assert (call.link_entity, call.link_id, call.account_id) == ("contact", contact.pk, account.pk)
    for entity, pk in (("account", account.pk), ("contact", contact.pk)):
        note = AuditEntry.objects.get(
            entity=entity, object_id=pk, changes__has_key="converted_from_lead"
        )
        assert note.changes["converted_from_lead"] == [None, lead.number]


def test_convert_refuses_silently_duplicating_an_existing_customer(seller):
    existing = same_customer(seller)
    lead = LeadFactory(owner=seller)

    with pytest.raises(DuplicatesFound) as found:
        lead_convert(actor=seller, lead=lead)

    assert [match.record for match in found.value.accounts] == [existing]
    assert Account.objects.count() == 1
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_convert_into_the_chosen_existing_customer_and_contact(seller):
    account = AccountFactory(name="杭州云栖数据科技有限公司", owner=seller)
    contact = ContactFactory(account=account, name="周杰", owner=seller)
    lead = LeadFactory(owner=seller)

    converted = lead_convert(actor=seller, lead=lead, contact=contact.pk)

    assert (converted.converted_account, converted.converted_contact) == (account, contact)
    assert (Account.objects.count(), Contact.objects.count()) == (1, 1)


def test_convert_with_an_opportunity_in_the_first_stage(seller):
    pipeline = PipelineFactory(is_default=True)
    lead = LeadFactory(owner=seller, product_interest="数据中台")

    converted = lead_convert(
        actor=seller,
        lead=lead,
        create_opportunity=True,
        opportunity_name="数据中台一期",
        amount=Decimal("380000"),
    )

    deal = Opportunity.objects.get()
    assert (deal.name, deal.amount, deal.pipeline, deal.stage.name_en) == (
        "数据中台一期",
        Decimal("380000.00"),
        pipeline,
        "Prospecting",
    )
    assert (deal.account, deal.lead, deal.probability) == (converted.converted_account, lead, 10)
    assert deal.contact_roles.get().contact == converted.converted_contact
    change = StageChange.objects.get()
    assert (change.from_stage, change.to_stage, change.changed_by) == (None, deal.stage, seller)
    assert converted.converted_opportunity == deal


def test_convert_makes_a_pipeline_when_none_exists(seller):
    lead = LeadFactory(owner=seller)

    lead_convert(actor=seller, lead=lead, create_opportunity=True)

    pipeline = Pipeline.objects.get()
    assert pipeline.is_default
    assert [s.name_en for s in pipeline.stages.order_by("position")][:2] == [
        "Prospecting",
        "Needs confirmed",
    ]


def test_a_failure_half_way_rolls_everything_back(db):
    rep = UserFactory()
    for entity in ("lead", "account", "contact"):
        grant(rep, entity, scope="all")  # but not opportunities
    lead = LeadFactory(owner=rep)
    call = activity_log(actor=rep, kind="call", subject="首次电话", record=lead)

    with pytest.raises(PermissionDenied):
        lead_convert(actor=rep, lead=lead, create_opportunity=True)

    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (
        0,
        0,
        0,
    )
    lead.refresh_from_db()
    call.refresh_from_db()
    assert (lead.status, lead.converted_account_id) == (LeadStatus.NEW, None)
    assert call.link_entity == "lead"
    assert not AuditEntry.objects.filter(entity__in=["account", "contact"]).exists()


def test_convert_outside_the_scope_is_not_found(db):
    rep = UserFactory()
    for entity in ("lead", "account", "contact"):
        grant(rep, entity, scope="own")
    other = LeadFactory(owner=UserFactory())
    client = Client()
    client.force_login(rep)

    assert client.get(f"/leads/{other.pk}/convert/").status_code == 404
    assert client.post(f"/leads/{other.pk}/convert/", {"account": "new"}).status_code == 404
    assert Lead.objects.get().status == LeadStatus.NEW


def test_convert_screen_offers_the_duplicate_and_converts(seller, client_for):
    existing = same_customer(seller)
    lead = LeadFactory(owner=seller)
    client = client_for(seller)

    page = client.get(f"/leads/{lead.pk}/convert/")
    assert page.status_code == 200
    assert f'data-testid="account-{existing.pk}"' in page.content.decode()

    response = client.post(f"/leads/{lead.pk}/convert/", {"account": existing.pk, "contact": "new"})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{existing.pk}/"
    lead.refresh_from_db()
    assert (lead.converted_account, lead.converted_contact.account) == (existing, existing)


def test_api_convert_answers_409_with_matches_then_converts(seller):
    existing = same_customer(seller)
    lead = LeadFactory(owner=seller)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=seller)}")

    conflict = client.post(f"/api/v1/leads/{lead.pk}/convert", {}, content_type="application/json")
    assert conflict.status_code == 409
    assert [match["id"] for match in conflict.json()["accounts"]] == [existing.pk]

    done = client.post(
        f"/api/v1/leads/{lead.pk}/convert",
        {"account": existing.pk, "create_opportunity": True, "amount": "5000"},
        content_type="application/json",
    )
    assert done.status_code == 200, done.json()
    body = done.json()
    assert (body["status"], body["converted_account"]) == ("converted", existing.pk)
    assert Opportunity.objects.get().amount == Decimal("5000.00")

    again = client.post(f"/api/v1/leads/{lead.pk}/convert", {}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["detail"] == "The lead is converted already."


def test_bulk_conversion_from_the_list(seller, client_for, django_capture_on_commit_callbacks):
    leads = [
        LeadFactory(
            owner=seller, name=f"客户{i}", company=f"公司{i}号", mobile=f"1360000000{i}", email=""
        )
        for i in range(3)
    ]
    client = client_for(seller)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/leads/bulk/convert/", {"ids": [lead.pk for lead in leads]})

    assert response.status_code == 302
    assert Lead.objects.filter(status="converted").count() == 3
    assert Account.objects.count() == 3
    assert Activity.objects.count() == 0
