"""Tasks of the platform on the Huey queue."""

from huey.contrib.djhuey import db_task

from guanxi.core.jobs import job_run


@db_task()
def run_job(job_id: int) -> None:
    """Run a recorded background job."""
    job_run(job_id)


@db_task(retries=3, retry_delay=60)
def send_notification_email(recipient_id: int, payload: dict) -> bool:
    """Email one notification; a failing mail server is retried three times, a minute apart."""
    from guanxi.core.models import User
    from guanxi.core.notifications import notification_email_send

    recipient = User.objects.filter(pk=recipient_id).first()
    if recipient is None:
        return False
    return notification_email_send(recipient, payload)
