"""Send email messages through Django's email backend (SMTP from `EMAIL_URL`)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid

from guanxi.activities.channels import Delivery, DeliveryError, register_sender
from guanxi.activities.choices import Channel

# SMTP reply codes that will not change on a retry: mailbox unknown, relaying denied.
PERMANENT_SMTP_CODES = range(500, 600)


def message_domain() -> str:
    """Return the domain of generated Message-IDs: the sender address's, else localhost."""
    address = settings.DEFAULT_FROM_EMAIL.rpartition("<")[2].rstrip(">")
    return address.rpartition("@")[2] or "localhost"


def build_email(message) -> EmailMultiAlternatives:
    """Return the email of a message, with threading headers and its attachments."""
    headers = {"Message-ID": message.message_id or make_msgid(domain=message_domain())}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
        headers["References"] = (message.references or message.in_reply_to).strip()
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=message.from_address or settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        cc=list(message.cc or []),
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    files = list(message.attachments.all())
    if message.batch_id:
        files += list(message.batch.attachments.all())
    for attachment in files:
        with attachment.file.open("rb") as handle:
            email.attach(attachment.name, handle.read(), attachment.content_type or None)
    return email


class EmailSender:
    """Hand one message to the configured email backend.

    Given a connection, it is kept open across messages (a bulk drain sends thousands
    over one SMTP session instead of connecting for each).
    """

    def __init__(self, connection=None):
        self.connection = connection

    def send(self, message) -> Delivery:
        email = build_email(message)
        connection = self.connection or get_connection(fail_silently=False)
        if self.connection is not None and getattr(connection, "connection", True) is None:
            # A kept connection (a drain's) is opened here and left open for the next.
            try:
                connection.open()
            except (TimeoutError, smtplib.SMTPException, OSError) as error:
                raise DeliveryError(_smtp_reason(error)) from error
        try:
            connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            permanent = all(code in PERMANENT_SMTP_CODES for code in codes)
            raise DeliveryError(_smtp_reason(error), permanent=permanent) from error
        except smtplib.SMTPResponseException as error:
            permanent = error.smtp_code in PERMANENT_SMTP_CODES
            raise DeliveryError(_smtp_reason(error), permanent=permanent) from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            if self.connection is not None:
                connection.close()  # a broken kept connection is opened afresh next time
            raise DeliveryError(_smtp_reason(error)) from error
        return Delivery(provider="smtp", message_id=email.extra_headers["Message-ID"])


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _smtp_reason(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {_text(text)}" for address, (code, text) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


register_sender(Channel.EMAIL, EmailSender)


def kept_connection_sender() -> EmailSender:
    """Return a sender that keeps one SMTP connection open for many messages."""
    return EmailSender(get_connection(fail_silently=False))
