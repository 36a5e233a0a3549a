"""Customer care (客户关怀): care plans and the care tasks they create.

A `CarePlan` is a rule configured on screen: whom it covers, the occasion (a date every
year such as a birthday, or some days after an event such as a visit), who gets the task,
its subject and priority, and a suggested message. A `CareTask` is one task a plan created
for one person and one occasion: an ordinary activity of kind task plus the facts care
statistics count (due date, done, done on time). The unique constraint on plan, person
and occasion makes creating care tasks idempotent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.activities.choices import Priority
from guanxi.core.models import BaseModel
from guanxi.service.choices import AssignTo, Audience, CareStatus, Occasion


class CarePlan(BaseModel):
    """Describe when care tasks are created, for whom, for whom to do, and what to send."""

    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    audience = models.CharField(
        _("covers"), max_length=10, choices=Audience.choices, default=Audience.CONTACT
    )
    # Narrowing by the customer's fields, as the customer list filters read them:
    # {"account_type": [...], "grade": [...], "tag": [names], "group": [ids]}.
    account_filters = models.JSONField(_("customer filters"), default=dict, blank=True)
    occasion = models.CharField(
        _("occasion"), max_length=10, choices=Occasion.choices, default=Occasion.YEARLY
    )
    # For a yearly occasion: "birthday" or "custom.<key>" of a date custom field.
    date_field = models.CharField(_("date"), max_length=60, blank=True)
    days_before = models.PositiveSmallIntegerField(_("days before"), default=0)
    # For an event occasion: the key of a registered trigger ("contact.created").
    event_type = models.CharField(_("event"), max_length=60, blank=True)
    days_after = models.PositiveSmallIntegerField(_("days after"), default=0)
    first_only = models.BooleanField(
        _("first time only"),
        default=False,
        help_text=_("Only the first such event of each customer creates a task."),
    )
    assign_to = models.CharField(
        _("task for"), max_length=10, choices=AssignTo.choices, default=AssignTo.OWNER
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Gets the tasks; with “record's owner”, those of records without owner."),
    )
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    round_robin_position = models.PositiveIntegerField(default=0, editable=False)
    subject = models.CharField(
        _("task subject"),
        max_length=200,
        help_text=_("May use placeholders such as {{ contact.name }} and {{ account.name }}."),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    template = models.ForeignKey(
        "activities.MessageTemplate",
        verbose_name=_("suggested message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["is_active", "occasion"], name="care_plan_active_idx"),
            models.Index(fields=["event_type", "is_active"], name="care_plan_event_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def days(self) -> int:
        return self.days_before if self.occasion == Occasion.YEARLY else self.days_after


class CareTask(models.Model):
    """Hold one care task a plan created for one person and one occasion."""

    plan = models.ForeignKey(
        CarePlan, verbose_name=_("care plan"), on_delete=models.CASCADE, related_name="tasks"
    )
    # The person cared for: a contact, or a customer.
    link_entity = models.CharField(_("for"), max_length=30)
    link_id = models.PositiveBigIntegerField(_("record"))
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    occasion_date = models.DateField(_("occasion"))
    due_date = models.DateField(_("due"))
    activity = models.OneToOneField(
        "activities.Activity",
        verbose_name=_("task"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_task",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CareStatus.choices, default=CareStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_on_time = models.BooleanField(_("done on time"), default=False)
    message = models.ForeignKey(
        "activities.Message",
        verbose_name=_("message sent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "link_entity", "link_id", "occasion_date"],
                name="care_task_unique_occasion",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "due_date"], name="care_task_owner_idx"),
            models.Index(fields=["due_date"], name="care_task_due_idx"),
            models.Index(fields=["occasion_date"], name="care_task_occasion_idx"),
            models.Index(fields=["plan", "due_date"], name="care_task_plan_idx"),
            models.Index(fields=["status", "due_date"], name="care_task_status_idx"),
            models.Index(fields=["plan", "account"], name="care_task_plan_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.occasion_date}"
