"""Automation rules and runs through the API and the settings screens; admins only."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.api.auth import token_create
from guanxi.customers.tests.factories import AccountFactory
from guanxi.workflow import automation_engine
from guanxi.workflow.automation_models import AutomationRule, AutomationRun
from guanxi.workflow.tests import automation_fixtures as fx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_state():
    fx.reset()
    fx.register()
    yield
    fx.unregister()
    fx.reset()


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def good_rule(owner=None):
    rule = {
        "name": "杭州客户更新后记录",
        "entity": "account",
        "trigger": "field_changed",
        "trigger_params": {"field": "city", "op": "changed_to", "value": "杭州"},
        "conditions": {"match": "all", "rules": [{"field": "grade", "op": "eq", "value": "vip"}]},
        "actions": [{"type": "test_set_field", "params": {"field": "province", "value": "浙江"}}],
    }
    if owner:
        rule["owner"] = owner.pk
    return rule


def failed_runs(rule, count=2):
    runs = []
    for number in range(count):
        account = AccountFactory()
        runs.append(
            AutomationRun.objects.create(
                rule=rule,
                entity="account",
                record_id=account.pk,
                dedupe_key=f"x{number}",
                trigger="updated",
                status="failed",
                attempts=5,
                error="Action 1 failed: boom",
                results=[{"type": "test_remember", "status": "failed", "error": "boom"}],
            )
        )
    AutomationRule.objects.filter(pk=rule.pk).update(failed_count=count)
    return runs


def test_api_creates_reads_changes_and_deletes_a_rule(admin_user):
    client = Client(**bearer(admin_user))
    response = client.post(
        "/api/v1/automation-rules", json.dumps(good_rule()), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["owner"] == admin_user.pk
    assert created["trigger_params"] == {"field": "city", "op": "changed_to", "value": "杭州"}
    assert created["actions"] == good_rule()["actions"]
    pk = created["id"]
    response = client.patch(
        f"/api/v1/automation-rules/{pk}",
        json.dumps({"is_active": False, "version": created["version"]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["version"]) == (False, 2)
    stale = client.patch(
        f"/api/v1/automation-rules/{pk}",
        json.dumps({"name": "late", "version": 1}),
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert AutomationRule.objects.get(pk=pk).name == "杭州客户更新后记录"
    assert client.delete(f"/api/v1/automation-rules/{pk}").status_code == 204
    assert AutomationRule.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "conditions": ["Condition 1: unknown field “nope”."],
                "actions": ["Action 1: Unknown action “fly”."],
                "trigger_params": [
                    "Date field: Select a valid choice. missing is not one of the available "
                    "choices."
                ],
            },
        ),
        (
            "zh-hans",
            {
                "conditions": ["条件 1： 未知字段“nope”。"],
                "actions": ["动作 1： 未知动作“fly”。"],
            },
        ),
    ],
)
def test_api_refuses_a_bad_rule_with_messages_per_field(admin_user, language, expected):
    client = Client(**bearer(admin_user))
    bad = {
        "name": "bad",
        "entity": "account",
        "trigger": "date_reached",
        "trigger_params": {"field": "missing", "days": 1},
        "conditions": {"match": "all", "rules": [{"field": "nope", "op": "eq", "value": 1}]},
        "actions": [{"type": "fly", "params": {}}],
    }
    response = client.post(
        "/api/v1/automation-rules",
        json.dumps(bad),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"conditions", "actions", "trigger_params"}
    for key, messages in expected.items():
        assert errors[key] == messages
    assert AutomationRule.objects.count() == 0


def test_validation_messages_of_trigger_settings_and_actions_in_both_languages(admin_user):
    from guanxi.workflow.automation_services import RuleData, automation_rule_validate

    data = RuleData(
        name="x",
        entity="account",
        trigger="no_activity",
        trigger_params={"days": 0},
        conditions={"match": "all", "rules": [{"field": "city", "op": "changed"}]},
        actions=[{"type": "test_set_field", "params": {"value": "浙江"}}],
        owner_id=admin_user.pk,
    )
    with translation.override("en"):
        _cleaned, errors = automation_rule_validate(data)
    assert errors["trigger_params"] == [
        "Days without activity: Ensure this value is greater than or equal to 1."
    ]
    assert errors["conditions"] == [
        "“changed” conditions need a save to compare with; this trigger has none."
    ]
    assert errors["actions"] == ["Action 1: Set a field (test) – Field: This field is required."]
    with translation.override("zh-hans"):
        _cleaned, errors = automation_rule_validate(data)
    assert errors["conditions"] == ["“变化”类条件需要一次保存来比较；这个触发条件没有保存。"]
    assert errors["trigger_params"][0].startswith("无活动天数: ")
    stage = RuleData(
        name="x",
        entity="account",
        trigger="stage_entered",
        owner_id=admin_user.pk,
        actions=[{"type": "test_remember", "params": {}}],
    )
    with translation.override("en"):
        _cleaned, errors = automation_rule_validate(stage)
    assert errors == {
        "trigger": ["The trigger “A deal enters a stage” cannot be used on customers."]
    }


def test_api_lists_runs_with_filters_in_fixed_queries_and_retries(
    admin_user, django_assert_num_queries
):
    client = Client(**bearer(admin_user))
    rule = fx.make_rule(admin_user)
    other = fx.make_rule(admin_user, name="Other")
    failed = failed_runs(rule, count=3)
    failed_runs(other, count=1)
    with django_assert_num_queries(4):  # token, capped count, page with rules, last use
        response = client.get(f"/api/v1/automation-runs?rule={rule.pk}&status=failed")
    body = response.json()
    assert (body["count"], body["more"]) == (3, False)
    assert [item["id"] for item in body["items"]] == [run.pk for run in reversed(failed)]
    assert body["items"][0]["rule_name"] == "Rule"
    detail = client.get(f"/api/v1/automation-runs/{failed[0].pk}").json()
    assert detail["results"] == [{"type": "test_remember", "status": "failed", "error": "boom"}]
    response = client.post(f"/api/v1/automation-runs/{failed[0].pk}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "done"
    again = client.post(f"/api/v1/automation-runs/{failed[0].pk}/retry")
    assert again.status_code == 400
    bulk = client.post(
        "/api/v1/automation-runs/retry",
        json.dumps({"ids": [run.pk for run in failed]}),
        content_type="application/json",
    )
    assert bulk.json() == {"retried": 2}
    rules = client.get("/api/v1/automation-rules").json()["items"]
    assert [(item["name"], item["done_count"], item["failed_count"]) for item in rules] == [
        ("Rule", 3, 0),
        ("Other", 0, 1),
    ]
    bad = client.get("/api/v1/automation-runs?status=lost")
    assert bad.status_code == 400


def test_non_admins_get_403_everywhere(user, client_for, admin_user):
    rule = fx.make_rule(admin_user)
    (run,) = failed_runs(rule, count=1)
    api = Client(**bearer(user))
    assert api.get("/api/v1/automation-rules").status_code == 403
    assert api.get("/api/v1/automation-runs").status_code == 403
    assert api.post(f"/api/v1/automation-runs/{run.pk}/retry").status_code == 403
    assert (
        api.post(
            "/api/v1/automation-rules", json.dumps(good_rule()), content_type="application/json"
        ).status_code
        == 403
    )
    web = client_for(user)
    for name, args in [
        ("web:automation_rule_list", []),
        ("web:automation_rule_create", []),
        ("web:automation_rule_edit", [rule.pk]),
        ("web:automation_run_list", []),
        ("web:automation_run_detail", [run.pk]),
    ]:
        assert web.get(reverse(name, args=args)).status_code == 403
    assert web.post(reverse("web:automation_run_retry"), {"run": run.pk}).status_code == 403
    run.refresh_from_db()
    assert run.status == "failed"
    assert AutomationRule.objects.count() == 1


def rule_post(**overrides):
    data = {
        "entity": "account",
        "name": "Hangzhou customers",
        "description": "",
        "trigger": "field_changed",
        "trigger-field": "city",
        "trigger-op": "changed_to",
        "trigger-value": "杭州",
        "conditions": json.dumps({"match": "all", "rules": []}),
        "owner": "",
        "order": "100",
        "is_active": "on",
        "action-0-type": "test_set_field",
        "action-0-position": "2",
        "action-0-field": "province",
        "action-0-value": "浙江",
        "action-1-type": "test_remember",
        "action-1-position": "1",
    }
    data.update(overrides)
    return data


def test_screens_create_a_rule_with_ordered_actions_and_show_errors(admin_client, admin_user):
    page = admin_client.get(reverse("web:automation_rule_create"))
    assert page.status_code == 200 and b'data-testid="choose-entity"' in page.content
    page = admin_client.get(reverse("web:automation_rule_create") + "?entity=account")
    assert b'data-testid="automation-rule-form"' in page.content
    fields = admin_client.get(
        reverse("web:automation_trigger_fields") + "?entity=account&trigger=date_reached"
    )
    assert b'name="trigger-field"' in fields.content and b'name="trigger-days"' in fields.content
    row = admin_client.get(
        reverse("web:automation_action_row") + "?entity=account&index=7&type=test_set_field"
    )
    assert b'name="action-7-field"' in row.content
    assert b'name="action-7-position" value="8"' in row.content
    # A new row comes after the others; a row given another type keeps its position.
    new = admin_client.get(
        reverse("web:automation_action_row")
        + "?entity=account&index=4321&type=test_flaky&position=3"
    )
    assert b'name="action-4321-position" value="3"' in new.content
    retyped = admin_client.get(
        reverse("web:automation_action_row")
        + "?entity=account&index=0&action-0-type=test_flaky&action-0-position=5"
    )
    assert b'name="action-0-position" value="5"' in retyped.content

    bad = admin_client.post(
        reverse("web:automation_rule_create"),
        rule_post(**{"owner": admin_user.pk, "trigger-value": "", "action-0-field": ""}),
    )
    assert bad.status_code == 400
    assert AutomationRule.objects.count() == 0
    assert "This field is required." in bad.content.decode()

    response = admin_client.post(
        reverse("web:automation_rule_create"), rule_post(owner=admin_user.pk)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = AutomationRule.objects.get()
    assert rule.trigger_params == {"field": "city", "op": "changed_to", "value": "杭州"}
    assert [action["type"] for action in rule.actions] == ["test_remember", "test_set_field"]

    edit = admin_client.get(reverse("web:automation_rule_edit", args=[rule.pk]))
    assert 'value="杭州"' in edit.content.decode()
    removed = admin_client.post(
        reverse("web:automation_rule_edit", args=[rule.pk]),
        rule_post(owner=admin_user.pk, version=rule.version, **{"action-1-remove": "1"}),
    )
    assert removed.status_code == 302
    rule.refresh_from_db()
    assert [action["type"] for action in rule.actions] == ["test_set_field"]
    assert rule.version == 2

    listing = admin_client.get(reverse("web:automation_rule_list"))
    assert "Hangzhou customers" in listing.content.decode()
    admin_client.post(reverse("web:automation_rule_toggle", args=[rule.pk]))
    assert AutomationRule.objects.get(pk=rule.pk).is_active is False


def test_monitor_filters_shows_a_run_and_retries_in_bulk(
    admin_client, admin_user, django_assert_max_num_queries
):
    rule = fx.make_rule(admin_user)
    runs = failed_runs(rule, count=3)
    AutomationRun.objects.create(
        rule=rule,
        entity="account",
        record_id=1,
        dedupe_key="s",
        trigger="updated",
        status="skipped",
    )
    url = reverse("web:automation_run_list")
    with django_assert_max_num_queries(12):
        page = admin_client.get(url + f"?status=failed&rule={rule.pk}&entity=account")
    text = page.content.decode()
    assert all(f'data-testid="run-{run.pk}"' in text for run in runs)
    assert "Skipped" not in text.split('data-testid="automation-runs"')[1]
    detail = admin_client.get(reverse("web:automation_run_detail", args=[runs[0].pk]))
    assert "Action 1 failed: boom" in detail.content.decode()
    response = admin_client.post(
        reverse("web:automation_run_retry"), {"run": [runs[0].pk, runs[1].pk]}
    )
    assert response.status_code == 302
    assert sorted(AutomationRun.objects.filter(status="done").values_list("pk", flat=True)) == [
        runs[0].pk,
        runs[1].pk,
    ]
    admin_user.language = "zh-hans"
    admin_user.save()
    page = admin_client.get(url)
    assert "自动化运行记录" in page.content.decode()


def test_retry_is_idempotent_with_two_workers(admin_user):
    rule = fx.make_rule(admin_user)
    (run,) = failed_runs(rule, count=1)
    AutomationRun.objects.filter(pk=run.pk).update(
        status="retrying", attempts=1, next_attempt_at=timezone.now()
    )
    automation_engine.runs_retry_due()
    assert automation_engine.run_execute(run.pk) is False  # already done by the first
    assert len(fx.STATE["calls"]) == 1


def test_test_on_a_record_shows_each_condition_and_changes_nothing(admin_client, admin_user):
    rule = fx.make_rule(
        admin_user,
        conditions={
            "match": "all",
            "rules": [
                {"field": "city", "op": "eq", "value": "杭州"},
                {"field": "grade", "op": "eq", "value": "vip"},
            ],
        },
        actions=[{"type": "test_set_field", "params": {"field": "province", "value": "浙江"}}],
    )
    account = AccountFactory(city="杭州", grade="ordinary", province="")
    url = reverse("web:automation_rule_test", args=[rule.pk])
    page = admin_client.get(url, {"record": account.pk}).content.decode()
    assert "The conditions do not hold" in page
    assert "City is 杭州" in page and "Customer grade is VIP" in page
    assert "Set a field (test)" in page
    AccountFactory._meta.model.objects.filter(pk=account.pk).update(grade="vip")
    page = admin_client.get(url, {"record": account.pk}).content.decode()
    assert "The conditions hold" in page
    assert admin_client.get(url, {"record": 999999}).status_code == 404
    account.refresh_from_db()
    assert account.province == ""
    assert AutomationRun.objects.count() == 0


def test_rule_list_api_in_fixed_queries(admin_user, django_assert_num_queries):
    client = Client(**bearer(admin_user))
    for number in range(3):
        fx.make_rule(admin_user, name=f"R{number}")
    with django_assert_num_queries(4):  # token, page, count, last use
        body = client.get("/api/v1/automation-rules").json()
    assert [item["name"] for item in body["items"]] == ["R0", "R1", "R2"]
    assert body["count"] == 3


def test_the_editor_offers_every_trigger_of_every_entity_in_chinese(admin_client, admin_user):
    from guanxi.sales.tests.factories import OpportunityFactory

    OpportunityFactory(owner=admin_user)
    admin_user.language = "zh-hans"
    admin_user.save()
    kinds = [value for value, _label in AutomationRule._meta.get_field("trigger").choices]
    for entity in ["account", "contact", "opportunity", "lead", "activity"]:
        page = admin_client.get(reverse("web:automation_rule_create") + f"?entity={entity}")
        assert page.status_code == 200
        for kind in kinds:
            fields = admin_client.get(
                reverse("web:automation_trigger_fields") + f"?entity={entity}&trigger={kind}"
            )
            assert fields.status_code == 200
    page = admin_client.get(reverse("web:automation_rule_create") + "?entity=opportunity")
    assert "商机进入某阶段时" in page.content.decode()
    page = admin_client.get(reverse("web:automation_rule_create") + "?entity=account")
    assert "商机进入某阶段时" not in page.content.decode()


def test_api_options_list_what_a_rule_on_an_entity_may_use(admin_user, user):
    client = Client(**bearer(admin_user))
    body = client.get("/api/v1/automation-rules/options?entity=opportunity").json()
    keys = [item["key"] for item in body["triggers"]]
    assert "stage_entered" in keys and "no_activity" in keys
    assert {"test_remember", "test_set_field"} <= {item["key"] for item in body["actions"]}
    assert "expected_close" in [item["key"] for item in body["date_fields"]]
    account = client.get("/api/v1/automation-rules/options?entity=account").json()
    assert "stage_entered" not in [item["key"] for item in account["triggers"]]
    assert client.get("/api/v1/automation-rules/options?entity=nope").status_code == 400
    assert (
        Client(**bearer(user)).get("/api/v1/automation-rules/options?entity=account").status_code
        == 403
    )
