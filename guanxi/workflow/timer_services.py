"""The timer service: start, replace, cancel and fire timers, each exactly once.

Rules ("still matching after N business hours"), escalations and the service SLA start
a timer keyed by what it is about; starting it again with the same key replaces a pending
one, cancelling it by key stops it. `timers_fire` runs every minute in the task worker
(and `guanxi fire_timers`): each due timer is claimed with a conditional UPDATE, so two
workers never fire one twice; a failing handler is retried with backoff, then the timer
is marked failed with its error.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from guanxi.workflow import calendar
from guanxi.workflow.timer_models import Timer, TimerStatus

logger = logging.getLogger(__name__)

# Seconds to wait before each retry of a failing handler; then the timer fails.
RETRY_DELAYS = (60, 300, 1800, 7200)
BATCH = 200

_handlers: dict[str, Callable[[Timer], Any]] = {}


def register_timer_handler(name: str, handler: Callable[[Timer], Any]) -> None:
    """Let timers started with `handler=name` call `handler(timer)` when due."""
    _handlers[name] = handler


def timer_due_at(
    *, start: datetime.datetime, business_minutes: float, team=None, user=None
) -> datetime.datetime:
    """Return the moment `business_minutes` of working time after `start`."""
    working = calendar.working_time_for(team=team, user=user)
    return calendar.business_add(start, minutes=business_minutes, working=working)


def timer_start(
    *,
    key: str,
    handler: str,
    entity: str = "",
    record_id: int | None = None,
    due_at: datetime.datetime | None = None,
    business_minutes: float | None = None,
    team=None,
    user=None,
    payload: dict[str, Any] | None = None,
    replace: bool = True,
    now: datetime.datetime | None = None,
) -> Timer:
    """Start a timer (or replace the pending one with the same key) and return it.

    Give `due_at`, or `business_minutes` counted in the working time of `team` or `user`
    (the default calendar otherwise). With `replace=False` a pending timer of the key is
    kept as it is, so its clock is not restarted.
    """
    if handler not in _handlers:
        raise ValueError(f"No timer handler {handler!r}.")
    now = now or timezone.now()
    if due_at is None:
        if business_minutes is None:
            raise ValueError("Give due_at or business_minutes.")
        due_at = timer_due_at(start=now, business_minutes=business_minutes, team=team, user=user)
    with transaction.atomic():
        current = Timer.objects.select_for_update().filter(key=key).first()
        if current is not None and current.status == TimerStatus.PENDING and not replace:
            return current
        if current is not None and current.status == TimerStatus.FIRING:
            # Being fired right now: the new one must not be lost, nor fire twice.
            current.delete()
            current = None
        values = {
            "entity": entity,
            "record_id": record_id,
            "handler": handler,
            "payload": payload or {},
            "due_at": due_at,
            "status": TimerStatus.PENDING,
            "attempts": 0,
            "fired_at": None,
            "last_error": "",
            "started_at": now,
        }
        if current is None:
            return Timer.objects.create(key=key, **values)
        for name, value in values.items():
            setattr(current, name, value)
        current.save()
        return current


def timer_cancel(key: str) -> bool:
    """Cancel the pending timer with this key; tell whether there was one."""
    return bool(
        Timer.objects.filter(key=key, status=TimerStatus.PENDING).update(
            status=TimerStatus.CANCELLED
        )
    )


def timer_pending(key: str) -> bool:
    return Timer.objects.filter(key=key, status=TimerStatus.PENDING).exists()


def _claim(timer_id: int, now: datetime.datetime) -> bool:
    claimed = Timer.objects.filter(pk=timer_id, status=TimerStatus.PENDING, due_at__lte=now).update(
        status=TimerStatus.FIRING, attempts=F("attempts") + 1
    )
    return claimed == 1


def timer_fire(timer_id: int, *, now: datetime.datetime | None = None) -> bool:
    """Fire one due timer if this worker claims it; tell whether it fired."""
    now = now or timezone.now()
    if not _claim(timer_id, now):
        return False
    timer = Timer.objects.get(pk=timer_id)
    handler = _handlers.get(timer.handler)
    try:
        if handler is None:
            raise LookupError(f"No timer handler {timer.handler!r}.")
        handler(timer)
    except Exception as error:  # a handler's bug must not leave the timer "firing"
        logger.exception("Timer %s failed", timer.key)
        _failed(timer, f"{type(error).__name__}: {error}", now)
        return False
    Timer.objects.filter(pk=timer.pk, status=TimerStatus.FIRING).update(
        status=TimerStatus.FIRED, fired_at=now, last_error=""
    )
    return True


def _failed(timer: Timer, error: str, now: datetime.datetime) -> None:
    if timer.attempts > len(RETRY_DELAYS):
        Timer.objects.filter(pk=timer.pk, status=TimerStatus.FIRING).update(
            status=TimerStatus.FAILED, last_error=error[:2000]
        )
        return
    delay = RETRY_DELAYS[timer.attempts - 1]
    Timer.objects.filter(pk=timer.pk, status=TimerStatus.FIRING).update(
        status=TimerStatus.PENDING,
        due_at=now + datetime.timedelta(seconds=delay),
        last_error=error[:2000],
    )


def timers_fire(now: datetime.datetime | None = None, limit: int | None = None) -> int:
    """Fire every due timer (in batches); return how many fired."""
    now = now or timezone.now()
    fired = 0
    seen = 0
    while True:
        due = list(
            Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=now)
            .order_by("due_at", "id")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not due:
            return fired
        for timer_id in due:
            fired += timer_fire(timer_id, now=now)
            seen += 1
            if limit is not None and seen >= limit:
                return fired
