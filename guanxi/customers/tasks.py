"""Scheduled work of the customers app on the Huey queue."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.customers.pool_rules import pools_apply_rules


@db_periodic_task(crontab(hour="2", minute="15"))
def pools_apply_rules_nightly() -> None:
    """Return overdue customers to their public pools and warn owners, every night."""
    pools_apply_rules()
