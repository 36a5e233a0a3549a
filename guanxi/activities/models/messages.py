"""Messages sent and received through a channel (email, SMS), their templates and batches.

One `Message` row is one message to or from one address: its status, attempts and last
error are what "never a lost message" is checked against. A bulk send is a
`MessageBatch` of many messages. A sent or received message is also logged as an activity
on the timeline of the record it was sent from or matched to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.activities.choices import (
    Channel,
    MessageDirection,
    MessageStatus,
    TemplateLanguage,
)
from guanxi.core.models import BaseModel


class MessageTemplate(BaseModel):
    """Hold a reusable email or SMS text with placeholders ({{ contact.name }}) in a language."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    name = models.CharField(_("name"), max_length=100)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=TemplateLanguage.choices,
        blank=True,
        default=TemplateLanguage.ANY,
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    # SMS providers in China send only templates they approved, named by a code.
    provider_template = models.CharField(
        _("provider template code"),
        max_length=50,
        blank=True,
        help_text=_("For SMS: the code under which the SMS provider approved this text."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["channel", "name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "name", "language"], name="message_template_unique"
            )
        ]

    def __str__(self) -> str:
        if self.language:
            return f"{self.name} ({self.get_language_display()})"
        return self.name


class MessageBatch(BaseModel):
    """Group the messages of one bulk send so its progress and outcome can be followed."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    total = models.PositiveIntegerField(_("recipients"), default=0)
    sent_count = models.PositiveIntegerField(_("sent"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    skipped_count = models.PositiveIntegerField(_("not sent"), default=0)
    job = models.ForeignKey(
        "core.Job",
        verbose_name=_("job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bulk send")
        verbose_name_plural = _("bulk sends")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject or self.body[:50]

    @property
    def finished(self) -> bool:
        return self.sent_count + self.failed_count + self.skipped_count >= self.total


class Message(models.Model):
    """Hold one email or SMS to or from one address, with its delivery state."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(
        _("direction"),
        max_length=3,
        choices=MessageDirection.choices,
        default=MessageDirection.OUTBOUND,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    batch = models.ForeignKey(
        MessageBatch,
        verbose_name=_("bulk send"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
    )
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    # The record it was sent from or matched to, and the customer and contact it concerns.
    link_entity = models.CharField(_("linked to"), max_length=30, blank=True)
    link_id = models.PositiveBigIntegerField(_("linked record"), null=True, blank=True)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    to_address = models.CharField(_("to"), max_length=254)
    to_name = models.CharField(_("recipient name"), max_length=200, blank=True)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML text"), blank=True)
    # Email threading (Message-ID, In-Reply-To, References) and the provider's own id.
    message_id = models.CharField(_("message ID"), max_length=255, blank=True)
    in_reply_to = models.CharField(_("in reply to"), max_length=255, blank=True)
    references = models.TextField(_("references"), blank=True)
    thread = models.ForeignKey(
        "self",
        verbose_name=_("thread"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
    )
    # The mailbox an incoming email was fetched from (a message is stored once per mailbox).
    mailbox = models.ForeignKey(
        "activities.Mailbox",
        verbose_name=_("mailbox"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    provider_id = models.CharField(_("provider message ID"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
            models.Index(fields=["batch", "status"], name="message_batch_idx"),
            models.Index(fields=["message_id"], name="message_msgid_idx"),
            models.Index(fields=["provider", "provider_id"], name="message_provider_idx"),
            models.Index(fields=["link_entity", "link_id", "-created_at"], name="message_link_idx"),
            models.Index(fields=["account", "-created_at"], name="message_account_idx"),
            models.Index(fields=["sender", "-created_at"], name="message_sender_idx"),
            models.Index(fields=["-created_at"], name="message_created_idx"),
            # The unmatched incoming emails of a mailbox: those linked to no record.
            models.Index(
                fields=["mailbox", "link_entity", "-created_at"], name="message_mailbox_idx"
            ),
        ]
        constraints = [
            # Two fetches of the same mailbox at once store a message only once.
            models.UniqueConstraint(
                fields=["mailbox", "message_id"],
                condition=models.Q(mailbox__isnull=False),
                name="message_mailbox_msgid_unique",
            )
        ]

    def __str__(self) -> str:
        return self.subject or self.body[:50]


def message_attachment_path(instance: MessageAttachment, filename: str) -> str:
    now = timezone.now()
    return f"messages/{now:%Y/%m}/{filename}"


class MessageAttachment(models.Model):
    """Keep one file of a message, or of a bulk send (every message of it carries the file)."""

    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    batch = models.ForeignKey(
        MessageBatch,
        verbose_name=_("bulk send"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=message_attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
