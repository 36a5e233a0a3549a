"""The automation engine: event triggers, conditions, idempotency, loops, failures, retries."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from guanxi.core.models import CustomField
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
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


@pytest.fixture
def saving(django_capture_on_commit_callbacks):
    """Run the after-commit event delivery of what the block saves, as production does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def runs(**filters):
    return list(AutomationRun.objects.filter(**filters).order_by("id"))


def test_created_rule_runs_when_conditions_hold_and_records_skips(admin_user, saving):
    rule = fx.make_rule(
        admin_user,
        trigger="created",
        conditions={"match": "all", "rules": [{"field": "city", "op": "eq", "value": "杭州"}]},
        log_skipped=True,
    )
    with saving():
        hangzhou = AccountFactory(city="杭州")
        shanghai = AccountFactory(city="上海")
        for account in (hangzhou, shanghai):
            fx.user_saves(admin_user, account, name=account.name)  # an update: not "created"
        from guanxi.core import registry
        from guanxi.core.services import record_written

        for account in (hangzhou, shanghai):
            record_written(
                actor=admin_user,
                entity=registry.get("account"),
                instance=account,
                action="create",
                changes={"city": [None, account.city]},
            )
    assert [(run.record_id, run.status) for run in runs(rule=rule)] == [
        (hangzhou.pk, "done"),
        (shanghai.pk, "skipped"),
    ]
    assert fx.STATE["calls"] == [("remember", "account", hangzhou.pk, 0)]
    rule.refresh_from_db()
    assert (rule.done_count, rule.skipped_count, rule.failed_count) == (1, 1, 0)
    done = runs(rule=rule)[0]
    assert done.results == [{"type": "test_remember", "status": "done", "result": "noted"}]
    assert done.duration_ms is not None and done.finished_at is not None


def test_field_changed_to_a_value_and_groups_with_custom_and_related_fields(admin_user, saving):
    CustomField.objects.create(entity="account", key="tier", label_en="Tier", field_type="text")
    rule = fx.make_rule(
        admin_user,
        entity="contact",
        log_skipped=True,
        trigger="field_changed",
        trigger_params={"field": "title", "op": "changed_to", "value": "总经理"},
        conditions={
            "match": "all",
            "rules": [
                {"field": "account.city", "op": "eq", "value": "杭州"},
                {
                    "match": "any",
                    "rules": [
                        {"field": "account.custom.tier", "op": "eq", "value": "gold"},
                        {"field": "email", "op": "contains", "value": "@vip."},
                    ],
                },
            ],
        },
    )
    gold = ContactFactory(account=AccountFactory(city="杭州", custom={"tier": "gold"}))
    vip = ContactFactory(account=AccountFactory(city="杭州"), email="li@vip.cn")
    plain = ContactFactory(account=AccountFactory(city="杭州"))
    elsewhere = ContactFactory(account=AccountFactory(city="上海", custom={"tier": "gold"}))
    with saving():
        for contact in (gold, vip, plain, elsewhere):
            fx.user_saves(admin_user, contact, title="总经理")
        fx.user_saves(admin_user, gold, mobile="13900000000")  # title did not change: no run
    outcome = {run.record_id: run.status for run in runs(rule=rule)}
    assert outcome == {
        gold.pk: "done",
        vip.pk: "done",
        plain.pk: "skipped",
        elsewhere.pk: "skipped",
    }


def test_skipped_runs_are_counted_and_kept_only_when_asked(admin_user, saving):
    quiet = fx.make_rule(
        admin_user,
        conditions={"match": "all", "rules": [{"field": "city", "op": "eq", "value": "杭州"}]},
    )
    with saving():
        fx.user_saves(admin_user, AccountFactory(city="上海"), phone="1")
        fx.user_saves(admin_user, AccountFactory(city="上海"), phone="2")
    quiet.refresh_from_db()
    assert (quiet.skipped_count, quiet.done_count) == (2, 0)
    assert runs(rule=quiet) == []


def test_the_same_event_twice_runs_a_rule_once(admin_user, saving):
    rule = fx.make_rule(admin_user)
    account = AccountFactory()
    payload = {"entity": "account", "id": account.pk, "changes": {"city": ["上海", "杭州"]}}
    automation_engine.handle_event("e1", "account.updated", payload, {})
    automation_engine.handle_event("e1", "account.updated", payload, {})
    assert len(runs(rule=rule)) == 1
    assert len(fx.STATE["calls"]) == 1
    automation_engine.handle_event("e2", "account.updated", payload, {})
    assert len(runs(rule=rule)) == 2


def test_a_rule_does_not_trigger_itself_in_a_loop(admin_user, saving):
    rule = fx.make_rule(
        admin_user,
        actions=[{"type": "test_set_field", "params": {"field": "city", "value": "杭州"}}],
    )
    account = AccountFactory(city="上海")
    with saving():
        fx.user_saves(admin_user, account, phone="0571-1")
    done, again = runs(rule=rule)
    assert done.status == "done" and done.depth == 0
    assert again.status == "skipped" and again.depth == 1
    assert "does not trigger itself" in again.error
    assert Account.objects.get(pk=account.pk).city == "杭州"


def test_two_rules_triggering_each_other_stop_after_one_round(admin_user, saving):
    a = fx.make_rule(
        admin_user,
        name="A",
        actions=[{"type": "test_set_field", "params": {"field": "province", "value": "浙江"}}],
    )
    b = fx.make_rule(
        admin_user,
        name="B",
        actions=[{"type": "test_set_field", "params": {"field": "address", "value": "西湖区"}}],
    )
    account = AccountFactory()
    with saving():
        fx.user_saves(admin_user, account, phone="0571-1")
    done = [(run.rule_id, run.depth) for run in runs(status="done")]
    # The user's save runs A and B; A's write runs B once, B's write runs A once; the
    # writes after that come from chains in which both rules already changed the record.
    assert sorted(done) == sorted([(a.pk, 0), (b.pk, 0), (b.pk, 1), (a.pk, 1)])
    assert AutomationRun.objects.filter(status="skipped").count() == 6
    assert AutomationRun.objects.count() == 10


def test_a_chain_deeper_than_the_limit_is_stopped_with_a_clear_error(admin_user, saving, caplog):
    # Every new account makes another one: a loop through different records.
    rule = fx.make_rule(
        admin_user, trigger="created", actions=[{"type": "test_clone", "params": {}}]
    )
    with saving():
        first = Account.objects.create(name="起点", number="S000001", owner=admin_user)
        from guanxi.core import registry
        from guanxi.core.services import record_written

        record_written(
            actor=admin_user,
            entity=registry.get("account"),
            instance=first,
            action="create",
            changes={"name": [None, "起点"]},
        )
    all_runs = runs(rule=rule)
    assert [run.depth for run in all_runs] == [0, 1, 2, 3, 4, 5]
    assert [run.status for run in all_runs] == ["done"] * 5 + ["failed"]
    assert "at most 5 deep" in all_runs[-1].error
    assert Account.objects.count() == 6  # the user's account and five copies
    assert "Automation loop stopped at depth 5" in caplog.text


def test_a_failing_action_retries_with_backoff_then_fails_and_the_save_stays(admin_user, saving):
    fx.STATE["fail"] = 99
    rule = fx.make_rule(
        admin_user,
        actions=[
            {"type": "test_remember", "params": {}},
            {"type": "test_flaky", "params": {}},
            {"type": "test_remember", "params": {}},
        ],
    )
    account = AccountFactory(city="上海")
    start = datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        with saving():
            fx.user_saves(admin_user, account, city="杭州")
        assert Account.objects.get(pk=account.pk).city == "杭州"  # never rolled back
        (run,) = runs(rule=rule)
        assert run.status == "retrying"
        assert run.next_attempt_at == start + datetime.timedelta(minutes=1)
        assert "Action 2 (Flaky (test)) failed: The mail server did not answer." in run.error
        waits = []
        for _attempt in range(4):
            run.refresh_from_db()
            waits.append(run.next_attempt_at - timezone.now())
            clock.move_to(run.next_attempt_at - datetime.timedelta(seconds=1))
            assert automation_engine.runs_retry_due() == 0  # not due yet
            clock.move_to(run.next_attempt_at)
            assert automation_engine.runs_retry_due() == 1
        run.refresh_from_db()
    assert [wait.total_seconds() for wait in waits] == [60, 300, 1800, 7200]
    assert (run.status, run.attempts, run.next_attempt_at) == ("failed", 5, None)
    assert [item["status"] for item in run.results] == ["done", "failed", "pending"]
    # The first action ran once: retries do not repeat what was done.
    assert fx.STATE["calls"].count(("remember", "account", account.pk, 0)) == 1
    rule.refresh_from_db()
    assert rule.failed_count == 1

    fx.STATE["fail"] = 0
    assert automation_engine.run_retry(run_ids=[run.pk]) == 1
    run.refresh_from_db()
    assert run.status == "done"
    assert [item["status"] for item in run.results] == ["done", "done", "done"]
    rule.refresh_from_db()
    assert (rule.done_count, rule.failed_count) == (1, 0)


def test_events_cost_nothing_when_no_rule_listens(admin_user, django_assert_num_queries):
    from guanxi.core.events import Event

    automation_engine.rule_index()
    with django_assert_num_queries(0):
        automation_engine.event_received(
            Event("account.updated", {"entity": "account", "id": 1, "changes": {}})
        )
    fx.make_rule(admin_user, entity="contact")
    automation_engine.rule_index()
    with django_assert_num_queries(0):
        automation_engine.event_received(
            Event("account.updated", {"entity": "account", "id": 1, "changes": {}})
        )


def test_an_inactive_rule_does_not_run(admin_user, saving):
    rule = fx.make_rule(admin_user)
    from guanxi.workflow.automation_services import automation_rule_toggle

    automation_rule_toggle(actor=admin_user, rule=rule, active=False)
    with saving():
        fx.user_saves(admin_user, AccountFactory(), city="杭州")
    assert runs() == []
    assert AutomationRule.objects.get(pk=rule.pk).is_active is False


def test_a_run_whose_worker_stopped_runs_again(admin_user):
    rule = fx.make_rule(admin_user)
    account = AccountFactory()
    start = datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)
    run = AutomationRun.objects.create(
        rule=rule,
        entity="account",
        record_id=account.pk,
        dedupe_key="crash",
        trigger="updated",
        status="running",
        attempts=1,
        started_at=start,
    )
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert automation_engine.runs_release_stuck() == 0
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        assert automation_engine.runs_release_stuck() == 1
        assert automation_engine.runs_retry_due() == 1
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == ("done", 2, "")
    assert fx.STATE["calls"] == [("remember", "account", account.pk, 0)]


def test_run_automations_command_scans_retries_and_fires(admin_user, capsys):
    from django.core.management import call_command

    call_command("run_automations")
    assert capsys.readouterr().out.strip() == (
        "Recorded 0 rule runs; retried 0 runs; fired 0 timers."
    )
