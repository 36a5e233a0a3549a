"""Daily customer care on the Huey queue: create the care tasks of yearly occasions."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.service.services import care_run


@db_periodic_task(crontab(hour="6", minute="5"))
def care_run_daily() -> int:
    """Create today's due care tasks (birthdays, anniversaries) before the working day."""
    return care_run().created
