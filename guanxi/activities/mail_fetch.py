"""Fetch the new messages of a mailbox from its IMAP server, in batches, idempotently.

A run claims the mailbox for a while (a conditional UPDATE, so two workers never fetch the
same mailbox together), asks the server for the UIDs above the last one stored — all of
them again when the folder's UIDVALIDITY changed — and stores each message on its own,
so a broken message is logged and skipped without stopping the batch. After each batch
the last UID is saved: a run cut short goes on where it stopped. A server error is kept
as the mailbox's last error, shown on its settings screen; the next run tries again.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.activities.imap_client import ImapSession, MailServerError
from guanxi.activities.inbound import message_receive
from guanxi.activities.mail_parser import parse_mail
from guanxi.activities.models import Mailbox, Message
from guanxi.core.secretbox import SecretUnreadable

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
# One run takes at most this many messages; the next run (minutes later) goes on.
MAX_PER_RUN = 500
LEASE = datetime.timedelta(minutes=15)


@dataclass
class FetchResult:
    """What one run did: messages stored, already there, unreadable; or why it failed."""

    stored: int = 0
    duplicates: int = 0
    broken: int = 0
    error: str = ""
    busy: bool = False


def session_for(mailbox: Mailbox, password: str | None = None) -> ImapSession:
    return ImapSession(
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password=mailbox.get_password() if password is None else password,
    )


def mailbox_test(mailbox: Mailbox, password: str | None = None) -> str:
    """Log in and open the folder; return "" when that works, else the reason it does not."""
    try:
        with session_for(mailbox, password) as session:
            session.open_folder(mailbox.folder)
    except SecretUnreadable:
        return password_unreadable()
    except MailServerError as error:
        return str(error)
    return ""


def password_unreadable() -> str:
    return _(
        "The stored password cannot be read (the secret key changed?): enter the password again."
    )


def _claim(mailbox_id: int) -> bool:
    now = timezone.now()
    free = Q(fetching_until__isnull=True) | Q(fetching_until__lt=now)
    return (
        Mailbox.objects.filter(free, pk=mailbox_id, is_active=True).update(
            fetching_until=now + LEASE
        )
        == 1
    )


def _store(mailbox: Mailbox, uid: int, raw: bytes, result: FetchResult) -> None:
    try:
        mail = parse_mail(raw)
    except Exception:  # any defect of one message: log it and go on with the batch
        logger.exception("Mailbox %s: message UID %s cannot be read; skipped", mailbox.pk, uid)
        result.broken += 1
        return
    if Message.objects.filter(mailbox=mailbox, message_id=mail.message_id).exists():
        result.duplicates += 1
        return
    try:
        message_receive(mailbox=mailbox, mail=mail)
    except IntegrityError:  # stored meanwhile by a run that overlapped this one
        result.duplicates += 1
    except Exception:
        logger.exception("Mailbox %s: message UID %s could not be stored; skipped", mailbox.pk, uid)
        result.broken += 1
    else:
        result.stored += 1


def _fetch(mailbox: Mailbox, result: FetchResult) -> None:
    with session_for(mailbox) as session:
        validity = session.open_folder(mailbox.folder)
        if validity != mailbox.uid_validity:
            # The server renumbered the folder: read it all again (stored ones are skipped).
            mailbox.uid_validity, mailbox.last_uid = validity, 0
            mailbox.save(update_fields=["uid_validity", "last_uid"])
        uids = session.uids_after(mailbox.last_uid)[:MAX_PER_RUN]
        for start in range(0, len(uids), BATCH_SIZE):
            batch = uids[start : start + BATCH_SIZE]
            for uid, raw in session.fetch(batch):
                _store(mailbox, uid, raw, result)
            mailbox.last_uid = batch[-1]
            mailbox.save(update_fields=["last_uid"])


def mailbox_fetch(mailbox_id: int) -> FetchResult:
    """Fetch and store the new messages of an active mailbox; note a failure on it."""
    if not _claim(mailbox_id):
        return FetchResult(busy=True)
    mailbox = Mailbox.objects.select_related("owner").get(pk=mailbox_id)
    result = FetchResult()
    try:
        _fetch(mailbox, result)
    except SecretUnreadable:
        result.error = password_unreadable()
    except MailServerError as error:
        result.error = str(error)
    except Exception as error:  # a bug must not leave the mailbox claimed or look fine
        logger.exception("Mailbox %s: fetching failed", mailbox_id)
        result.error = f"{type(error).__name__}: {error}"
    finally:
        now = timezone.now()
        fields = {"fetching_until": None}
        if result.error:
            fields.update(last_error=result.error[:2000], last_error_at=now)
            logger.warning("Mailbox %s could not be fetched: %s", mailbox_id, result.error)
        else:
            fields.update(last_error="", last_fetched_at=now)
        Mailbox.objects.filter(pk=mailbox_id).update(**fields)
    return result


def active_mailbox_ids() -> list[int]:
    return list(Mailbox.objects.filter(is_active=True).order_by("id").values_list("pk", flat=True))
