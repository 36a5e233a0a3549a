"""Lead assignment rules on the automation parts: the condition language and assign_owner."""

import importlib
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guanxi.api.auth import token_create
from guanxi.core.models import Territory
from guanxi.core.tests.factories import TeamFactory, UserFactory
from guanxi.sales.lead_services import rule_matches
from guanxi.sales.models import Lead, LeadAssignmentRule
from guanxi.workflow import conditions

pytestmark = pytest.mark.django_db
migration = importlib.import_module("guanxi.sales.migrations.0009_lead_rule_conditions")


def lead(**values):
    values.setdefault("name", "王芳")
    return Lead(**values)


def test_old_conditions_become_a_tree_with_the_same_meaning():
    territory = Territory.objects.create(name="华南", regions="广东\n深圳")
    tree = migration.legacy_tree(
        territory, "江苏，浙江, 深圳", ["referral", "website"], "ERP, 扫描枪"
    )
    rule = LeadAssignmentRule(name="old", conditions=tree)

    # Every old condition must hold: territory (or its regions), place, source, keyword.
    assert rule_matches(
        rule, lead(city="深圳", source="referral", product_interest="仓库扫描枪 20 把")
    )
    assert rule_matches(
        rule,
        lead(territory=territory, province="浙江", source="website", description="需要 erp"),
    )
    assert not rule_matches(rule, lead(city="深圳", source="referral"))  # no keyword
    assert not rule_matches(rule, lead(province="江苏", source="referral", description="ERP"))
    assert not rule_matches(rule, lead(city="深圳", source="exhibition", product_interest="ERP"))
    # The tree is one the condition language accepts as it is.
    assert conditions.validate("lead", tree) == (tree, [])
    assert migration.legacy_tree(None, "", [], "") == {"match": "all", "rules": []}


def test_settings_form_refuses_conditions_the_language_refuses(admin_client):
    team = TeamFactory()
    response = admin_client.post(
        "/settings/leads/rules/new/",
        {
            "name": "华东",
            "position": 1,
            "is_active": "on",
            "conditions": json.dumps(
                {"match": "all", "rules": [{"field": "budget", "op": "eq", "value": 1}]}
            ),
            "action": "round_robin",
            "team": team.pk,
        },
    )

    assert response.status_code == 400
    assert "Condition 1: unknown field “budget”." in response.content.decode()
    assert not LeadAssignmentRule.objects.exists()
    assert admin_client.get("/settings/leads/rules/new/").status_code == 200


def test_rules_through_the_api_take_a_condition_tree(admin_user):
    rep = UserFactory()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=admin_user)}")
    tree = {"match": "all", "rules": [{"field": "source", "op": "in", "value": ["referral"]}]}

    response = api.post(
        "/api/v1/lead-assignment-rules",
        {
            "name": "Referrals",
            "position": 1,
            "is_active": True,
            "conditions": tree,
            "action": "user",
            "user": rep.pk,
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["conditions"] == tree
    page = Client()
    page.force_login(admin_user)
    listing = page.get("/settings/leads/rules/").content.decode()
    assert "Source is one of Referral" in listing


def test_the_rule_effect_is_the_assign_owner_action():
    team = TeamFactory()
    rule = LeadAssignmentRule(action="round_robin", team=team)
    assert rule.assign_params() == {"strategy": "round_robin", "user": None, "team": team.pk}


def test_the_rules_list_describes_conditions_without_a_query_per_rule(admin_client, admin_user):
    territory = Territory.objects.create(name="华南")
    tree = {
        "match": "any",
        "rules": [
            {"field": "territory", "op": "eq", "value": str(territory.pk)},
            {"field": "source", "op": "in", "value": ["referral"]},
        ],
    }
    LeadAssignmentRule.objects.create(name="a", conditions=tree, user=admin_user)
    admin_client.get("/settings/leads/rules/")
    with CaptureQueriesContext(connection) as one:
        admin_client.get("/settings/leads/rules/")
    for number in range(5):
        LeadAssignmentRule.objects.create(name=f"r{number}", conditions=tree, user=admin_user)

    with CaptureQueriesContext(connection) as six:
        page = admin_client.get("/settings/leads/rules/").content.decode()

    assert len(six) == len(one), [query["sql"] for query in six]
    assert page.count("Territory is 华南 or Source is one of Referral") == 6


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_turns_stored_rules_into_trees():
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("sales", "0008_funnel_stage_time")],
        [("sales", "0009_lead_rule_conditions")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    territory = old.get_model("core", "Territory").objects.create(name="华东", regions="上海")
    old.get_model("sales", "LeadAssignmentRule").objects.create(
        name="华东", territory_id=territory.pk, provinces="江苏", sources=["referral"]
    )
    old.get_model("sales", "LeadAssignmentRule").objects.create(name="All")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    rules = {
        rule.name: rule.conditions
        for rule in new.get_model("sales", "LeadAssignmentRule").objects.all()
    }
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    places = [{"field": "province", "op": "in", "value": ["上海"]}]
    places.append({"field": "city", "op": "in", "value": ["上海"]})
    assert rules == {
        "华东": {
            "match": "all",
            "rules": [
                {
                    "match": "any",
                    "rules": [
                        {"field": "territory", "op": "eq", "value": str(territory.pk)},
                        *places,
                    ],
                },
                {
                    "match": "any",
                    "rules": [
                        {"field": "province", "op": "in", "value": ["江苏"]},
                        {"field": "city", "op": "in", "value": ["江苏"]},
                    ],
                },
                {"field": "source", "op": "in", "value": ["referral"]},
            ],
        },
        "All": {"match": "all", "rules": []},
    }
