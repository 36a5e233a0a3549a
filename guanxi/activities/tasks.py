"""Tasks of activities on the Huey queue: message delivery and retries, mailbox fetching."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from guanxi.activities import messaging


@db_task()
def deliver_message(message_id: int) -> None:
    """Send one queued message (a no-op when another worker already has it)."""
    messaging.message_deliver(message_id)


@db_periodic_task(crontab(minute="*"))
def retry_due_messages() -> None:
    """Send again the messages whose retry is due, and those a dead worker left behind."""
    for message_id in messaging.messages_due():
        messaging.message_deliver(message_id)


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
