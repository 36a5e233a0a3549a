"""Activities and tasks (跟进记录, 待办): one model, linked to any record through one link."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.activities.choices import (
    OPEN_STATUSES,
    ActivityKind,
    ActivityStatus,
    Outcome,
    Priority,
    Recurrence,
)
from guanxi.core.models import OwnedModel


class Activity(OwnedModel):
    """Hold one call, meeting, visit, email, SMS, note or task.

    An activity is linked to one record of any registered entity (`link_entity`,
    `link_id`); `account` is the customer that record belongs to, kept so the customer's
    360° timeline reads its activities with one indexed query. `occurs_at` is the moment
    the activity sits at in lists, calendars and timelines: its start, else its due time,
    else when it was recorded.
    """

    kind = models.CharField(
        _("kind"), max_length=10, choices=ActivityKind.choices, default=ActivityKind.CALL
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("outcome details"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    all_day = models.BooleanField(_("all day"), default=False)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    occurs_at = models.DateTimeField(_("time"), editable=False, db_index=False)
    location = models.CharField(_("location"), max_length=200, blank=True)

    link_entity = models.CharField(_("linked to"), max_length=30, blank=True)
    link_id = models.PositiveBigIntegerField(_("linked record"), null=True, blank=True)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        editable=False,
    )
    participant_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participants (colleagues)"),
        blank=True,
        related_name="activity_participations",
    )
    participant_contacts = models.ManyToManyField(
        "customers.Contact",
        verbose_name=_("participants (contacts)"),
        blank=True,
        related_name="activity_participations",
    )

    remind_before = models.PositiveIntegerField(_("remind before (minutes)"), null=True, blank=True)
    remind_at = models.DateTimeField(_("reminder at"), null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True, editable=False)

    recurrence = models.CharField(
        _("repeats"), max_length=10, choices=Recurrence.choices, blank=True, default=""
    )
    recurrence_interval = models.PositiveSmallIntegerField(_("every"), default=1)
    recurrence_until = models.DateField(_("repeat until"), null=True, blank=True)
    series = models.ForeignKey(
        "self",
        verbose_name=_("series"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="occurrences",
        editable=False,
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurs_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-occurs_at"], name="activity_account_idx"),
            models.Index(fields=["link_entity", "link_id", "-occurs_at"], name="activity_link_idx"),
            models.Index(fields=["owner", "status", "occurs_at"], name="activity_owner_idx"),
            models.Index(fields=["-occurs_at"], name="activity_occurs_idx"),
            models.Index(fields=["kind", "-occurs_at"], name="activity_kind_idx"),
            models.Index(fields=["status", "remind_at"], name="activity_remind_idx"),
            models.Index(fields=["-updated_at"], name="activity_updated_idx"),
            models.Index(fields=["subject"], name="activity_subject_idx"),
            models.Index(fields=["priority"], name="activity_priority_idx"),
            models.Index(fields=["due_at"], name="activity_due_idx"),
            models.Index(fields=["outcome"], name="activity_outcome_idx"),
            models.Index(fields=["completed_at"], name="activity_completed_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    outcome_choices = [choice for choice in Outcome.choices if choice[0]]

    @property
    def description_html(self):
        from guanxi.activities.richtext import render_html

        return render_html(self.description)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        moment = self.due_at or self.ends_at or self.starts_at
        return bool(self.is_open and moment and moment < timezone.now())

    @property
    def is_event(self) -> bool:
        return self.starts_at is not None

    def save(self, *args, **kwargs):
        self.derive_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                "occurs_at",
                "completed_at",
                "remind_at",
                "reminded_at",
            }
        super().save(*args, **kwargs)

    def derive_fields(self) -> None:
        """Keep the columns computed from others (also called before bulk inserts)."""
        self.occurs_at = self.starts_at or self.due_at or self.occurs_at or timezone.now()
        if self.status == ActivityStatus.DONE and self.completed_at is None:
            self.completed_at = timezone.now()
        elif self.status != ActivityStatus.DONE:
            self.completed_at = None
        moment = self.starts_at or self.due_at
        if self.remind_before is not None and moment is not None:
            remind_at = moment - datetime.timedelta(minutes=self.remind_before)
            if remind_at != self.remind_at:
                self.remind_at = remind_at
                self.reminded_at = None
        else:
            self.remind_at = None


def attachment_path(instance: ActivityAttachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{filename}"


class ActivityAttachment(models.Model):
    """Keep one file attached to an activity: a document, a photo, an email's attachment."""

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name
