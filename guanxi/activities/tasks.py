"""Tasks of activities on the Huey queue: message delivery and its retries."""

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
def drain_messages(channel: str) -> None:
    """Send a channel's due bulk messages at its rate; come back when the next is due."""
    from guanxi.activities import batches

    next_due = batches.messages_drain(channel)
    if next_due is not None:
        batches.start_drain(channel, eta=next_due)
