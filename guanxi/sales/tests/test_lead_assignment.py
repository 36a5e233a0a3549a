"""Assignment rules, the lead pool and reassignment of leads nobody contacted."""

import datetime

import factory
import pytest
from django.utils import timezone

from guanxi.core.models import AuditEntry, Notification, Territory
from guanxi.core.tests.factories import TeamFactory, UserFactory, grant
from guanxi.sales import lead_services
from guanxi.sales.lead_capture import lead_create_unattended
from guanxi.sales.models import Lead, LeadAssignmentRule, LeadPoolSettings
from guanxi.sales.tests.factories import LeadFactory as BaseLeadFactory

pytestmark = pytest.mark.django_db


class LeadFactory(BaseLeadFactory):
    """Leads numbered apart from the "L" sequence the services number new leads with."""

    number = factory.Sequence(lambda n: f"T{n:06d}")


def new_lead(**values):
    values.setdefault("name", "王芳")
    values.setdefault("mobile", "13800000001")
    return lead_create_unattended(actor=None, values=values, owner=None)


def team_of(*names):
    team = TeamFactory()
    members = [UserFactory(username=name) for name in names]
    team.members.set(members)
    return team, members


def any_of(*rules):
    return {"match": "all", "rules": [{"match": "any", "rules": list(rules)}]}


def test_first_matching_rule_wins_by_province_source_and_keyword():
    east, referral, scanners = UserFactory(), UserFactory(), UserFactory()
    places = ["江苏", "浙江"]
    LeadAssignmentRule.objects.create(
        name="华东",
        position=1,
        conditions=any_of(
            {"field": "province", "op": "in", "value": places},
            {"field": "city", "op": "in", "value": places},
        ),
        action="user",
        user=east,
    )
    LeadAssignmentRule.objects.create(
        name="Referrals",
        position=2,
        conditions=any_of({"field": "source", "op": "in", "value": ["referral"]}),
        action="user",
        user=referral,
    )
    LeadAssignmentRule.objects.create(
        name="Scanners",
        position=3,
        conditions=any_of(
            *(
                {"field": "product_interest", "op": "contains", "value": word}
                for word in ("扫描枪", "scanner")
            )
        ),
        action="user",
        user=scanners,
    )

    jiangsu = new_lead(province="江苏", source="referral")
    referred = new_lead(province="广东", source="referral")
    wants = new_lead(province="四川", product_interest="仓库扫描枪 20 把")
    nobody = new_lead(province="四川", source="website")

    assert (jiangsu.owner, jiangsu.assignment_rule.name) == (east, "华东")
    assert referred.owner == referral
    assert wants.owner == scanners
    assert nobody.owner is None  # waits in the pool
    entry = AuditEntry.objects.get(entity="lead", object_id=jiangsu.pk, rule="华东")
    assert entry.changes["owner"][1]["id"] == east.pk


def test_territory_rule_matches_the_territory_or_its_regions():
    rep = UserFactory()
    territory = Territory.objects.create(name="华南", regions="广东\n深圳")
    regions = ["广东", "深圳"]
    LeadAssignmentRule.objects.create(
        name="South",
        conditions=any_of(
            {"field": "territory", "op": "eq", "value": str(territory.pk)},
            {"field": "province", "op": "in", "value": regions},
            {"field": "city", "op": "in", "value": regions},
        ),
        action="user",
        user=rep,
    )

    assert new_lead(city="深圳").owner == rep
    assert new_lead(territory=territory).owner == rep
    assert new_lead(province="北京").owner is None


def test_round_robin_goes_through_the_team_in_order():
    team, _members = team_of("anna", "bo", "chen")
    LeadAssignmentRule.objects.create(name="RR", action="round_robin", team=team)

    owners = [new_lead(mobile=f"1390000000{i}").owner.username for i in range(5)]

    assert owners == ["anna", "bo", "chen", "anna", "bo"]


def test_least_loaded_picks_the_member_with_fewest_open_leads():
    team, (anna, bo, chen) = team_of("anna", "bo", "chen")
    LeadFactory.create_batch(3, owner=anna)
    LeadFactory.create_batch(1, owner=bo)
    LeadFactory.create_batch(2, owner=chen)
    LeadFactory.create_batch(5, owner=bo, status="converted")  # closed leads do not count
    LeadAssignmentRule.objects.create(name="LL", action="least_loaded", team=team)

    first = new_lead(mobile="13900000001")
    second = new_lead(mobile="13900000002")

    assert first.owner == bo
    assert second.owner == bo  # 2 open now, as chen: ties go by username
    assert new_lead(mobile="13900000003").owner == chen


def test_form_without_owner_is_assigned_by_the_rules(
    client_for, django_capture_on_commit_callbacks
):
    manager, rep = UserFactory(), UserFactory()
    grant(manager, "lead", scope="all")
    LeadAssignmentRule.objects.create(name="All", action="user", user=rep)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(
            "/leads/new/", {"name": "刘洋", "mobile": "13712345678", "status": "new", "owner": ""}
        )

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert (lead.owner, lead.assignment_rule.name, lead.number) == (rep, "All", "L000001")
    assert Notification.objects.filter(recipient=rep).count() == 1


def test_form_with_an_owner_keeps_it(client_for):
    rep, other = UserFactory(), UserFactory()
    grant(rep, "lead", scope="all")
    LeadAssignmentRule.objects.create(name="All", action="user", user=other)

    client_for(rep).post(
        "/leads/new/", {"name": "刘洋", "email": "liu@example.cn", "status": "new", "owner": rep.pk}
    )

    assert Lead.objects.get().owner == rep


def test_api_create_with_null_owner_uses_the_rules(user):
    from guanxi.api.auth import token_create

    grant(user, "lead", scope="all")
    rep = UserFactory()
    LeadAssignmentRule.objects.create(name="All", action="user", user=rep)
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")
    response = client.post(
        "/api/v1/leads",
        {"name": "陈静", "email": "chen@example.cn", "owner": None},
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["owner"] == rep.pk


def test_pool_claim_respects_the_cap(client_for):
    rep = UserFactory()
    role = grant(rep, "lead", ["view", "edit"], scope="own")
    pool = LeadPoolSettings.current()
    pool.roles.add(role)
    pool.max_open_leads = 2
    pool.save()
    LeadFactory(owner=rep)
    first, second = LeadFactory(owner=None), LeadFactory(owner=None)
    client = client_for(rep)

    assert client.get("/leads/pool/").status_code == 200
    response = client.post(f"/leads/{first.pk}/claim/")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.owner == rep

    client.post(f"/leads/{second.pk}/claim/")
    second.refresh_from_db()
    assert second.owner is None  # two open leads already
    with pytest.raises(lead_services.LeadError, match="at most 2"):
        lead_services.lead_claim(actor=rep, lead=second)


def test_pool_is_hidden_without_a_role_with_access(client_for):
    rep = UserFactory()
    grant(rep, "lead", scope="own")
    lead = LeadFactory(owner=None)

    assert client_for(rep).get("/leads/pool/").status_code == 403
    assert client_for(rep).get(f"/leads/{lead.pk}/").status_code == 404


def test_release_puts_the_lead_back_into_the_pool():
    rep = UserFactory()
    grant(rep, "lead", scope="own")
    lead = LeadFactory(owner=rep)

    lead_services.lead_release(actor=rep, lead=lead)

    lead.refresh_from_db()
    assert lead.owner is None


def test_leads_nobody_contacted_in_time_go_to_the_next_owner():
    team, (anna, bo) = team_of("anna", "bo")
    rule = LeadAssignmentRule.objects.create(
        name="RR", action="round_robin", team=team, reassign_after_hours=4
    )
    lead = new_lead()
    assert lead.owner == anna
    contacted = new_lead(mobile="13900000009")
    assert contacted.owner == bo
    lead_services.lead_mark_contacted(lead_id=contacted.pk)
    assigned = timezone.now()
    Lead.objects.filter(pk__in=[lead.pk, contacted.pk]).update(assigned_at=assigned)

    assert lead_services.leads_reassign_overdue(now=assigned + datetime.timedelta(hours=3)) == 0
    moved = lead_services.leads_reassign_overdue(now=assigned + datetime.timedelta(hours=4))

    assert moved == 1
    lead.refresh_from_db()
    contacted.refresh_from_db()
    assert (lead.owner, lead.assignment_rule) == (bo, rule)
    assert contacted.owner == bo
    assert Notification.objects.filter(recipient=anna, title__contains="in time").count() == 1
    assert Notification.objects.filter(recipient=bo).count() == 2
    history = AuditEntry.objects.filter(entity="lead", object_id=lead.pk, rule="RR")
    assert [e.changes["owner"][1]["id"] for e in history.order_by("pk")] == [anna.pk, bo.pk]
