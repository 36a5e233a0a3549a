"""Approval jobs on the Huey queue: remind approvers of overdue steps."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.workflow.approval_services import approvals_remind_overdue


@db_periodic_task(crontab(minute="*/15"))
def approvals_remind_overdue_periodic() -> int:
    """Every quarter of an hour, remind the approvers of steps that passed their due time."""
    return approvals_remind_overdue()
