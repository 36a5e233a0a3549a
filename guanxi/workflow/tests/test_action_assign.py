"""The assign_owner action: strategies as lead rules have them, through the real services."""

from types import SimpleNamespace

import factory
import pytest
from django.utils import translation

from guanxi.core.models import AuditEntry, Notification
from guanxi.core.tests.factories import TeamFactory, UserFactory, grant
from guanxi.customers.models import Account, OwnershipPeriod
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.sales.lead_capture import lead_create_unattended
from guanxi.sales.models import Lead, LeadAssignmentRule
from guanxi.sales.tests.factories import LeadFactory as BaseLeadFactory
from guanxi.workflow.actions import ActionContext, ActionFailed, get_action, validate_params

pytestmark = pytest.mark.django_db


class LeadFactory(BaseLeadFactory):
    number = factory.Sequence(lambda n: f"W{n:06d}")


def run(record, params, *, actor, entity="lead", rule=None):
    context = ActionContext(
        entity_name=entity,
        record=record,
        event={"name": f"{entity}.created"},
        rule=rule or SimpleNamespace(pk=7),
        actor=actor,
    )
    return get_action("assign_owner").run(context, params)


def team_of(*names):
    team = TeamFactory()
    members = [UserFactory(username=name) for name in names]
    team.members.set(members)
    return team, members


def test_round_robin_goes_round_the_team_as_the_lead_rules_do():
    team, _members = team_of("anna", "bo", "chen")
    admin = UserFactory(is_superuser=True)
    LeadAssignmentRule.objects.create(name="RR", action="round_robin", team=team)
    by_rule = [
        lead_create_unattended(
            actor=None, values={"name": "王芳", "mobile": f"1390000000{i}"}, owner=None
        ).owner.username
        for i in range(5)
    ]
    LeadAssignmentRule.objects.all().delete()

    leads = LeadFactory.create_batch(5, owner=None)
    by_action = []
    for lead in leads:
        result = run(lead, {"strategy": "round_robin", "team": team.pk}, actor=admin)
        lead.refresh_from_db()
        by_action.append(lead.owner.username)
        assert result == f"Assigned to {lead.owner.username}."

    assert by_rule == by_action == ["anna", "bo", "chen", "anna", "bo"]
    # A manual assignment's history and notification, by the rule's user.
    entry = AuditEntry.objects.filter(entity="lead", object_id=leads[0].pk).latest("pk")
    assert (entry.actor_id, entry.changes["owner"][1]["id"]) == (
        admin.pk,
        leads[0].owner_id,
    )
    assert Notification.objects.filter(recipient__username="anna").count() == 4


def test_round_robin_position_is_kept_per_rule():
    team, _members = team_of("anna", "bo")
    admin = UserFactory(is_superuser=True)
    first, second = LeadFactory.create_batch(2, owner=None)

    run(
        first, {"strategy": "round_robin", "team": team.pk}, actor=admin, rule=SimpleNamespace(pk=1)
    )
    run(
        second,
        {"strategy": "round_robin", "team": team.pk},
        actor=admin,
        rule=SimpleNamespace(pk=2),
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.owner.username, second.owner.username) == ("anna", "anna")


def test_least_loaded_counts_open_leads_only():
    team, (anna, bo) = team_of("anna", "bo")
    admin = UserFactory(is_superuser=True)
    LeadFactory.create_batch(2, owner=anna)
    LeadFactory.create_batch(1, owner=bo)
    LeadFactory.create_batch(4, owner=bo, status="converted")
    lead = LeadFactory(owner=None)

    run(lead, {"strategy": "least_loaded", "team": team.pk}, actor=admin)

    lead.refresh_from_db()
    assert lead.owner == bo


def test_related_owner_gives_the_contact_to_its_customers_owner():
    boss, rep, other = UserFactory(), UserFactory(), UserFactory()
    grant(boss, "contact", scope="all")
    grant(boss, "account", ["view"], scope="all")
    account = AccountFactory(owner=rep)
    contact = ContactFactory(account=account, owner=other)

    result = run(
        contact, {"strategy": "related", "related": "account"}, actor=boss, entity="contact"
    )

    contact.refresh_from_db()
    assert contact.owner == rep
    assert result == f"Assigned to {rep.username}."
    entry = AuditEntry.objects.filter(entity="contact", object_id=contact.pk).latest("pk")
    assert entry.changes["owner"][1]["id"] == rep.pk
    assert Notification.objects.filter(recipient=rep, category="assignment").count() == 1


def test_customer_assignment_keeps_the_owners_cap():
    boss, rep = UserFactory(), UserFactory()
    grant(boss, "account", scope="all")
    role = grant(rep, "account", scope="own")
    role.max_accounts = 1
    role.save()
    AccountFactory(owner=rep)
    pooled = AccountFactory(owner=None)

    with pytest.raises(ActionFailed, match="may own at most 1 customers"):
        run(pooled, {"strategy": "user", "user": rep.pk}, actor=boss, entity="account")

    assert Account.objects.get(pk=pooled.pk).owner is None
    assert not OwnershipPeriod.objects.filter(account=pooled).exists()


def test_customer_assignment_opens_an_ownership_period():
    boss, rep = UserFactory(), UserFactory()
    grant(boss, "account", scope="all")
    account = AccountFactory(owner=boss)

    run(account, {"strategy": "user", "user": rep.pk}, actor=boss, entity="account")

    assert OwnershipPeriod.objects.get(account=account, ended_at__isnull=True).owner == rep


def test_a_run_as_user_without_the_assign_permission_is_refused():
    clerk, rep = UserFactory(username="clerk"), UserFactory()
    grant(clerk, "lead", ["view", "edit"], scope="all")
    lead = LeadFactory(owner=clerk)

    with pytest.raises(ActionFailed) as failed:
        run(lead, {"strategy": "user", "user": rep.pk}, actor=clerk)

    assert str(failed.value) == "clerk, whom the rule acts as, may not assign leads."
    assert Lead.objects.get(pk=lead.pk).owner == clerk


def test_nobody_to_assign_fails_clearly():
    admin = UserFactory(is_superuser=True)
    gone = UserFactory(is_active=False)
    lead = LeadFactory(owner=None)

    with pytest.raises(ActionFailed, match="Nobody could be chosen"):
        run(lead, {"strategy": "user", "user": gone.pk}, actor=admin)


def test_parameters_are_checked_in_both_languages():
    cleaned, errors = validate_params("lead", "assign_owner", {"strategy": "round_robin"})
    assert (cleaned, errors) == (
        {},
        ["Assign owner – Team: Choose the team whose members get the records."],
    )
    with translation.override("zh-hans"):
        _cleaned, errors = validate_params("lead", "assign_owner", {"strategy": "user"})
    assert errors == ["分配负责人 – 用户: 请选择接收记录的用户。"]

    team = TeamFactory()
    cleaned, errors = validate_params(
        "lead", "assign_owner", {"strategy": "round_robin", "team": team.pk}
    )
    assert errors == []
    assert cleaned["team"] == team.pk


def test_related_choices_name_records_with_an_owner():
    _cleaned, errors = validate_params(
        "contact", "assign_owner", {"strategy": "related", "related": "account"}
    )
    assert errors == []
    _cleaned, errors = validate_params(
        "contact", "assign_owner", {"strategy": "related", "related": "nothing"}
    )
    assert len(errors) == 1 and "Select a valid choice" in errors[0]


def test_least_loaded_deals_count_open_deals_only():
    from guanxi.sales.tests.factories import OpportunityFactory

    team, (anna, bo) = team_of("anna", "bo")
    admin = UserFactory(is_superuser=True)
    OpportunityFactory.create_batch(3, owner=anna)
    won = OpportunityFactory(owner=bo)
    won_stage = won.pipeline.stages.filter(is_won=True).first()
    OpportunityFactory.create_batch(3, owner=bo, pipeline=won.pipeline, stage=won_stage)
    OpportunityFactory(owner=bo, pipeline=won.pipeline)
    deal = OpportunityFactory(owner=admin)

    run(deal, {"strategy": "least_loaded", "team": team.pk}, actor=admin, entity="opportunity")

    deal.refresh_from_db()
    assert deal.owner == bo  # 2 open deals against 3: bo's 3 won deals do not count
