"""Automation and timers on the Huey queue: events, retries, time-based scans, timers."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.workflow import automation_engine, automation_scans, timer_services


@db_task(retries=2, retry_delay=30)
def automation_event(event_id: str, name: str, payload: dict, cause: dict) -> int:
    """Run the rules a domain event triggers (after the save that emitted it committed)."""
    return automation_engine.handle_event(event_id, name, payload, cause)


@db_task()
def automation_execute(run_id: int) -> bool:
    """Execute one queued or retried run."""
    return automation_engine.run_execute(run_id)


@db_periodic_task(crontab(minute="*/5"))
def automation_scan() -> int:
    """Run the date, no-activity and scheduled rules that are due."""
    return automation_scans.scan_due()


@db_periodic_task(crontab(minute="*"))
def automation_retry_and_fire_timers() -> int:
    """Retry the runs whose backoff is over and fire the due timers."""
    automation_engine.runs_release_stuck()
    return automation_engine.runs_retry_due() + timer_services.timers_fire()


@db_periodic_task(crontab(hour="3", minute="40"))
def automation_purge() -> int:
    """Delete old skipped runs (their counts stay on the rules)."""
    return automation_engine.runs_purge()
