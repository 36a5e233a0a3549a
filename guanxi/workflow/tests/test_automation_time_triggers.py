"""Triggers of time: a stage entered, a date reached, no activity, a schedule, still matching."""

import datetime
import zoneinfo

import pytest
import time_machine

from guanxi.activities.tests.factories import ActivityFactory
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.sales.opportunity_services import opportunity_move_stage
from guanxi.sales.tests.factories import OpportunityFactory
from guanxi.workflow import automation_scans, timer_services
from guanxi.workflow.automation_models import AutomationRun
from guanxi.workflow.tests import automation_fixtures as fx
from guanxi.workflow.timer_models import Timer

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def clean_state():
    fx.reset()
    fx.register()
    yield
    fx.unregister()
    fx.reset()


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def done_records(rule) -> list[int]:
    return sorted(
        AutomationRun.objects.filter(rule=rule, status="done").values_list("record_id", flat=True)
    )


def test_stage_entered_runs_for_the_chosen_stages_only(
    admin_user, django_capture_on_commit_callbacks
):
    deal = OpportunityFactory(owner=admin_user)
    stages = list(deal.pipeline.stages.order_by("position"))
    rule = fx.make_rule(
        admin_user,
        entity="opportunity",
        trigger="stage_entered",
        trigger_params={"stages": [stages[2].pk]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        opportunity_move_stage(actor=admin_user, opportunity=deal, stage=stages[1])
    assert done_records(rule) == []
    with django_capture_on_commit_callbacks(execute=True):
        opportunity_move_stage(actor=admin_user, opportunity=deal, stage=stages[2])
    assert done_records(rule) == [deal.pk]


def test_date_reached_runs_once_per_record_and_date(admin_user):
    with time_machine.travel(at(2026, 11, 1, 8), tick=False):
        rule = fx.make_rule(
            admin_user,
            entity="contact",
            trigger="date_reached",
            trigger_params={"field": "birthday", "days": -3},
            conditions={
                "match": "all",
                "rules": [{"field": "title", "op": "eq", "value": "采购经理"}],
            },
        )
        soon = ContactFactory(birthday=datetime.date(1990, 12, 4))
        ContactFactory(birthday=datetime.date(1990, 12, 4), title="实习生")  # conditions
        ContactFactory(birthday=datetime.date(1990, 12, 5))  # not yet
    # Dates compare as stored: a birthday field holds the year of birth.
    soon.birthday = datetime.date(2026, 12, 4)
    soon.save()
    with time_machine.travel(at(2026, 12, 1, 0, 30), tick=False):
        assert automation_scans.scan_due() == 1
        assert automation_scans.scan_due() == 0  # scanned within the hour
        assert (
            automation_scans.scan_rule(rule, now=datetime.datetime.now(datetime.UTC), force=True)
            == 0
        )  # the run exists
    assert done_records(rule) == [soon.pk]
    run = AutomationRun.objects.get(rule=rule)
    assert run.dedupe_key == f"date:birthday:2026-12-04:{soon.pk}"


def test_no_activity_for_n_days_on_accounts_and_deals(admin_user):
    with time_machine.travel(at(2026, 11, 1, 9), tick=False):
        idle_rule = fx.make_rule(admin_user, trigger="no_activity", trigger_params={"days": 14})
        deal_rule = fx.make_rule(
            admin_user, entity="opportunity", trigger="no_activity", trigger_params={"days": 14}
        )
        quiet = AccountFactory()
        busy = AccountFactory()
        quiet_deal = OpportunityFactory(owner=admin_user)
        busy_deal = OpportunityFactory(owner=admin_user)
    Account.objects.filter(pk=busy.pk).update(last_followed_up_at=at(2026, 11, 25, 10))
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        ActivityFactory(
            link_entity="opportunity", link_id=busy_deal.pk, starts_at=at(2026, 11, 25, 10)
        )
    with time_machine.travel(at(2026, 12, 1, 9), tick=False):
        automation_scans.scan_due()
    assert quiet.pk in done_records(idle_rule) and busy.pk not in done_records(idle_rule)
    assert quiet_deal.pk in done_records(deal_rule)
    assert busy_deal.pk not in done_records(deal_rule)
    # The same idle period is not acted on twice, however often the scan runs.
    with time_machine.travel(at(2026, 12, 2, 9), tick=False):
        automation_scans.scan_due()
    assert AutomationRun.objects.filter(rule=idle_rule, record_id=quiet.pk).count() == 1


def test_scheduled_rule_runs_each_slot_once_in_the_owners_zone(admin_user):
    admin_user.time_zone = "Europe/Berlin"
    admin_user.save()
    with time_machine.travel(at(2026, 11, 30, 20), tick=False):  # 13:00 in Berlin
        rule = fx.make_rule(
            admin_user,
            trigger="scheduled",
            trigger_params={"frequency": "weekly", "weekday": 0, "time": "09:00"},
            conditions={"match": "all", "rules": [{"field": "city", "op": "eq", "value": "杭州"}]},
        )
        hangzhou = AccountFactory(city="杭州")
        AccountFactory(city="上海")
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    # Monday 7 December, 08:59 in Berlin: not yet; 09:00: the slot; later scans: nothing.
    with time_machine.travel(datetime.datetime(2026, 12, 7, 8, 59, tzinfo=berlin), tick=False):
        assert automation_scans.scan_due() == 0
    with time_machine.travel(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=berlin), tick=False):
        assert automation_scans.scan_due() == 1
    with time_machine.travel(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=berlin), tick=False):
        assert automation_scans.scan_due() == 0
    with time_machine.travel(datetime.datetime(2026, 12, 14, 10, 0, tzinfo=berlin), tick=False):
        assert automation_scans.scan_due() == 1
    assert AutomationRun.objects.filter(rule=rule, record_id=hangzhou.pk).count() == 2


def test_latest_slot_of_a_monthly_schedule_on_a_short_month():
    params = {"frequency": "monthly", "day": 31, "time": "18:30"}
    slot = automation_scans.latest_slot(params, SHANGHAI, at(2026, 11, 30, 19))
    assert slot == at(2026, 11, 30, 18, 30)


def test_still_matching_after_business_hours_acts_once_and_cancels_when_it_stops(
    admin_user, django_capture_on_commit_callbacks
):
    rule = fx.make_rule(
        admin_user,
        trigger="still_matching",
        trigger_params={"hours": 4},
        conditions={"match": "all", "rules": [{"field": "grade", "op": "eq", "value": "vip"}]},
    )
    waiting = AccountFactory(grade="")
    fixed = AccountFactory(grade="")
    # Friday 16:00 in Shanghai: 4 business hours later is Monday 11:00 (09–12, 13–18).
    with (
        time_machine.travel(at(2026, 12, 4, 16), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        fx.user_saves(admin_user, waiting, grade="vip")
        fx.user_saves(admin_user, fixed, grade="vip")
    timer = Timer.objects.get(key=f"automation:{rule.pk}:{waiting.pk}")
    assert timer.due_at == at(2026, 12, 7, 11)
    with (
        time_machine.travel(at(2026, 12, 5, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        fx.user_saves(admin_user, waiting, phone="1")  # still matching: clock kept
        fx.user_saves(admin_user, fixed, grade="ordinary")  # no longer: cancelled
    assert Timer.objects.get(key=timer.key).due_at == at(2026, 12, 7, 11)
    assert Timer.objects.get(key=f"automation:{rule.pk}:{fixed.pk}").status == "cancelled"
    with time_machine.travel(at(2026, 12, 7, 10, 59), tick=False):
        assert timer_services.timers_fire() == 0
    with time_machine.travel(at(2026, 12, 7, 11), tick=False):
        assert timer_services.timers_fire() == 1
        assert timer_services.timers_fire() == 0
    assert done_records(rule) == [waiting.pk]
    assert AutomationRun.objects.filter(rule=rule).count() == 1
