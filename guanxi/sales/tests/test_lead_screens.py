"""Lead screens and API actions: status, assign, claim, filters, settings, query counts."""

import factory
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guanxi.api.auth import token_create
from guanxi.core.models import AuditEntry, Notification
from guanxi.core.tests.factories import TeamFactory, UserFactory, grant
from guanxi.sales.models import Lead, LeadAssignmentRule, LeadPoolSettings, LeadWebForm
from guanxi.sales.tests.factories import LeadFactory as BaseLeadFactory

pytestmark = pytest.mark.django_db


class LeadFactory(BaseLeadFactory):
    number = factory.Sequence(lambda n: f"T{n:06d}")


def api_for(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


@pytest.fixture
def rep(db):
    user = UserFactory(username="rep")
    grant(user, "lead", scope="own")
    return user


def test_status_actions_and_the_unqualified_reason(rep, client_for):
    lead = LeadFactory(owner=rep)
    client = client_for(rep)

    client.post(f"/leads/{lead.pk}/status/qualified/")
    lead.refresh_from_db()
    assert lead.status == "qualified"

    form = client.post(f"/leads/{lead.pk}/status/unqualified/", {"reason": ""})
    assert form.status_code == 400
    client.post(f"/leads/{lead.pk}/status/unqualified/", {"reason": "no_budget"})
    lead.refresh_from_db()
    assert (lead.status, lead.unqualified_reason) == ("unqualified", "no_budget")
    assert client.post(f"/leads/{lead.pk}/status/converted/").status_code == 404


def test_the_form_requires_a_way_to_reach_and_a_reason(rep, client_for):
    response = client_for(rep).post(
        "/leads/new/", {"name": "马超", "status": "unqualified", "owner": rep.pk}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter at least a mobile, a phone number or an email address." in body
    assert "Say why the lead is unqualified." in body
    assert Lead.objects.count() == 0


def test_api_status_assign_claim_release(rep):
    manager = UserFactory(username="manager")
    grant(manager, "lead", scope="all")
    lead = LeadFactory(owner=rep)

    done = api_for(rep).post(
        f"/api/v1/leads/{lead.pk}/status", {"status": "contacted"}, content_type="application/json"
    )
    assert (done.status_code, done.json()["status"]) == (200, "contacted")
    refused = api_for(rep).post(
        f"/api/v1/leads/{lead.pk}/status",
        {"status": "unqualified"},
        content_type="application/json",
    )
    assert (refused.status_code, refused.json()["detail"]) == (
        409,
        "Say why the lead is unqualified.",
    )

    other = UserFactory(username="other")
    assigned = api_for(manager).post(
        f"/api/v1/leads/{lead.pk}/assign", {"owner": other.pk}, content_type="application/json"
    )
    assert assigned.json()["owner"] == other.pk
    assert Notification.objects.filter(recipient=other).count() == 1
    assert Notification.objects.filter(recipient=rep).count() == 1
    assert api_for(rep).post(f"/api/v1/leads/{lead.pk}/release").status_code == 404

    released = api_for(manager).post(f"/api/v1/leads/{lead.pk}/release")
    assert released.json()["owner"] is None
    pool = LeadPoolSettings.current()
    pool.roles.add(rep.roles.first())
    claimed = api_for(rep).post(f"/api/v1/leads/{lead.pk}/claim")
    assert (claimed.status_code, claimed.json()["owner"]) == (200, rep.pk)
    assert AuditEntry.objects.filter(entity="lead", object_id=lead.pk).count() == 4


def test_list_filters_score_range_unassigned_and_sort(rep):
    grant(rep, "lead", scope="all")
    low = LeadFactory(owner=rep, name="低分", mobile="13000000001")
    high = LeadFactory(owner=None, name="高分", mobile="13000000002")
    Lead.objects.filter(pk=low.pk).update(score=5)
    Lead.objects.filter(pk=high.pk).update(score=40)
    api = api_for(rep)

    ranged = api.get("/api/v1/leads", {"score_min": "10", "score_max": "50"}).json()
    pooled = api.get("/api/v1/leads", {"unassigned": "true"}).json()
    ordered = api.get("/api/v1/leads", {"ordering": "-score"}).json()

    assert [item["name"] for item in ranged["items"]] == ["高分"]
    assert [item["name"] for item in pooled["items"]] == ["高分"]
    assert [item["score"] for item in ordered["items"]] == [40, 5]


def test_scope_own_sees_only_own_leads(rep, client_for):
    mine = LeadFactory(owner=rep, name="自己的")
    theirs = LeadFactory(owner=UserFactory(), name="别人的")

    items = api_for(rep).get("/api/v1/leads").json()["items"]

    assert [item["id"] for item in items] == [mine.pk]
    assert client_for(rep).get(f"/leads/{theirs.pk}/").status_code == 404
    assert (
        api_for(rep)
        .post(f"/api/v1/leads/{theirs.pk}/convert", {}, content_type="application/json")
        .status_code
        == 404
    )


def test_list_and_api_query_counts_do_not_grow_with_rows(rep, client_for):
    for number in range(30):
        LeadFactory(owner=rep, mobile=f"1310000{number:04d}")
    api, client = api_for(rep), client_for(rep)
    api.get("/api/v1/leads")
    client.get("/leads/")

    with CaptureQueriesContext(connection) as api_queries:
        response = api.get("/api/v1/leads", {"limit": 50})
    with CaptureQueriesContext(connection) as page_queries:
        page = client.get("/leads/")

    assert response.json()["count"] == 30
    assert page.status_code == 200
    assert len(api_queries) <= 10, [q["sql"] for q in api_queries]
    assert len(page_queries) <= 15, [q["sql"] for q in page_queries]


def test_settings_screens_for_administrators(admin_client, rep, client_for):
    team = TeamFactory()
    response = admin_client.post(
        "/settings/leads/rules/new/",
        {
            "name": "华东",
            "position": 1,
            "is_active": "on",
            "conditions": '{"match": "all", "rules": [{"field": "province", "op": "in", '
            '"value": ["江苏"]}]}',
            "action": "round_robin",
        },
    )
    assert response.status_code == 400  # a team is needed for round-robin
    admin_client.post(
        "/settings/leads/rules/new/",
        {
            "name": "华东",
            "position": 1,
            "is_active": "on",
            "action": "round_robin",
            "team": team.pk,
        },
    )
    admin_client.post(
        "/settings/leads/web_forms/new/",
        {"name": "官网", "fields": ["email"], "consent_text": "同意联系", "source": "website"},
    )

    assert LeadAssignmentRule.objects.get().team == team
    web_form = LeadWebForm.objects.get()
    page = admin_client.get("/settings/leads/web-forms/").content.decode()
    assert f"/forms/leads/{web_form.public_key}/embed.js" in page
    assert admin_client.get("/settings/leads/rules/").status_code == 200
    assert admin_client.get("/settings/leads/scoring/").status_code == 200
    assert admin_client.get("/settings/leads/nothing/new/").status_code == 404
    assert client_for(rep).get("/settings/leads/rules/").status_code == 403


def test_settings_through_the_api(admin_user, rep):
    api = api_for(admin_user)

    created = api.post(
        "/api/v1/lead-scoring-rules",
        {"kind": "field", "field": "source", "value": "referral", "points": 20, "is_active": True},
        content_type="application/json",
    )
    invalid = api.post(
        "/api/v1/lead-scoring-rules",
        {"kind": "activity", "points": 5},
        content_type="application/json",
    )

    assert created.status_code == 201
    assert invalid.status_code == 400
    assert "activity_kind" in invalid.json()["errors"]
    assert api.get("/api/v1/lead-scoring-rules").json()["count"] == 1
    assert api_for(rep).get("/api/v1/lead-scoring-rules").status_code == 403
