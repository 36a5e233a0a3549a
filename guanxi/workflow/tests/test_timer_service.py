"""The timer service: business-time due dates, replace, cancel, fire once, retry, fail."""

import datetime
import itertools
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command

from guanxi.workflow import timer_services
from guanxi.workflow.timer_models import Timer

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FIRED: list = []


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def _record(timer):
    FIRED.append((timer.key, timer.payload))


def _second_worker_meanwhile(timer):
    # Another worker's pass while this one is still firing: it must not fire it again.
    FIRED.append(("inner", timer_services.timers_fire()))
    FIRED.append((timer.key, timer.payload))


def _broken(timer):
    raise RuntimeError("SLA service unreachable")


timer_services.register_timer_handler("test.record", _record)
timer_services.register_timer_handler("test.second_worker", _second_worker_meanwhile)
timer_services.register_timer_handler("test.broken", _broken)


@pytest.fixture(autouse=True)
def clean():
    FIRED.clear()
    yield
    FIRED.clear()


def test_business_minutes_skip_nights_weekends_and_lunch():
    with time_machine.travel(at(2026, 12, 4, 17), tick=False):  # a Friday
        timer = timer_services.timer_start(
            key="t1", handler="test.record", business_minutes=180, payload={"n": 1}
        )
    assert timer.due_at == at(2026, 12, 7, 11)  # 1 h on Friday, 2 h on Monday morning
    with time_machine.travel(at(2026, 12, 7, 11, 30), tick=False):
        timer = timer_services.timer_start(key="t2", handler="test.record", business_minutes=60)
    assert timer.due_at == at(2026, 12, 7, 13, 30)


def test_starting_again_replaces_and_cancel_stops():
    now = at(2026, 12, 1, 10)
    timer_services.timer_start(key="k", handler="test.record", due_at=now, payload={"v": 1})
    timer_services.timer_start(
        key="k", handler="test.record", due_at=now + datetime.timedelta(hours=1), payload={"v": 2}
    )
    kept = timer_services.timer_start(
        key="k", handler="test.record", due_at=now, payload={"v": 3}, replace=False
    )
    assert Timer.objects.count() == 1
    assert (kept.payload, kept.due_at) == ({"v": 2}, now + datetime.timedelta(hours=1))
    assert timer_services.timer_cancel("k") is True
    assert timer_services.timer_cancel("k") is False
    assert timer_services.timers_fire(now=now + datetime.timedelta(days=1)) == 0
    assert FIRED == []


def test_a_due_timer_fires_once_even_when_a_second_worker_looks_meanwhile():
    now = at(2026, 12, 1, 10)
    timer_services.timer_start(
        key="once", handler="test.second_worker", due_at=now, payload={"ticket": 7}
    )
    assert timer_services.timers_fire(now=now - datetime.timedelta(seconds=1)) == 0
    assert timer_services.timers_fire(now=now) == 1
    assert timer_services.timers_fire(now=now + datetime.timedelta(hours=1)) == 0
    assert FIRED == [("inner", 0), ("once", {"ticket": 7})]
    timer = Timer.objects.get(key="once")
    assert (timer.status, timer.attempts, timer.fired_at) == ("fired", 1, now)


def test_a_failing_handler_is_retried_with_backoff_then_failed():
    now = at(2026, 12, 1, 10)
    timer_services.timer_start(key="bad", handler="test.broken", due_at=now)
    moments = [now]
    for _attempt in range(5):
        timer_services.timers_fire(now=moments[-1])
        moments.append(Timer.objects.get(key="bad").due_at)
    timer = Timer.objects.get(key="bad")
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(moments)]
    assert gaps[:4] == [60, 300, 1800, 7200]
    assert (timer.status, timer.attempts) == ("failed", 5)
    assert timer.last_error == "RuntimeError: SLA service unreachable"


def test_fire_timers_command(capsys):
    timer_services.timer_start(
        key="cmd", handler="test.record", due_at=at(2026, 1, 1, 9), payload={}
    )
    call_command("fire_timers")
    assert "Fired 1 timers." in capsys.readouterr().out
    assert FIRED == [("cmd", {})]


def test_an_unknown_handler_is_refused_at_start():
    with pytest.raises(ValueError):
        timer_services.timer_start(key="x", handler="nobody", due_at=at(2026, 1, 1, 9))
    assert Timer.objects.count() == 0
