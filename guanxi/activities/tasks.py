"""Tasks of activities on the Huey queue: message delivery, reminders, digests, mail fetching."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.activities import messaging
from guanxi.activities.digest import digest_send, digests_send_due
from guanxi.activities.reminders import reminders_send_due
from guanxi.core.models import User


@db_task()
def deliver_message(message_id: int) -> None:
    """Send one queued message (a no-op when another worker already has it)."""
    messaging.message_deliver(message_id)


@db_periodic_task(crontab(minute="*"))
def retry_due_messages() -> None:
    """Send again the messages whose retry is due, and those a dead worker left behind."""
    for message_id in messaging.messages_due():
        messaging.message_deliver(message_id)


@db_periodic_task(crontab(minute="*"))
def send_reminders_every_minute() -> int:
    """Send the reminders whose time has come."""
    return reminders_send_due().reminded


@db_periodic_task(crontab(minute="0"))
def send_digests_hourly() -> int:
    """Queue the daily digests of the users whose digest hour it now is."""
    return digests_send_due().due


@db_task(retries=3, retry_delay=300)
def send_digest_email(user_id: int, now=None) -> bool:
    """Send one user's digest; a failing mail server is retried three times."""
    user = User.objects.filter(pk=user_id).first()
    return bool(user) and digest_send(user, now=now)


@db_task()
def drain_messages(channel: str) -> None:
    """Send a channel's due bulk messages at its rate; come back when the next is due."""
    from guanxi.activities import batches

    next_due = batches.messages_drain(channel)
    if next_due is not None:
        batches.start_drain(channel, eta=next_due)


@db_task()
def fetch_mailbox(mailbox_id: int) -> None:
    """Fetch the new messages of one mailbox (a no-op while another worker fetches it)."""
    from guanxi.activities import mail_fetch

    mail_fetch.mailbox_fetch(mailbox_id)


@db_periodic_task(crontab(minute="*/5"))
def fetch_all_mailboxes() -> None:
    """Queue a fetch of every active mailbox, so mailboxes are read by workers in parallel."""
    from guanxi.activities import mail_fetch

    for mailbox_id in mail_fetch.active_mailbox_ids():
        fetch_mailbox(mailbox_id)
