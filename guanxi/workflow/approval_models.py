"""Models of approvals (审批, WF-1): processes, their frozen versions, instances and tasks.

A process says which records need approval and when; every change of its definition is
published as a new `ApprovalProcessVersion`, and an instance runs to its end on the
version it started with. Each step of a running instance gives its approvers one
`ApprovalTask` each; the tasks are the trail (who, when, decision, comment).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.core.models import BaseModel


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval", "Pending")
    APPROVED = "approved", pgettext_lazy("approval", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("approval", "Withdrawn")
    CANCELLED = "cancelled", pgettext_lazy("approval", "Cancelled")


class TaskDecision(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval", "Waiting")
    APPROVED = "approved", pgettext_lazy("approval", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval", "Rejected")
    DELEGATED = "delegated", pgettext_lazy("approval", "Delegated")
    SKIPPED = "skipped", pgettext_lazy("approval", "Skipped")
    CLOSED = "closed", pgettext_lazy("approval", "No longer needed")


class ApprovalProcess(BaseModel):
    """Name which records of an entity need approval, when, and by whom (the steps)."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    entity = models.CharField(_("entity"), max_length=50)
    # "submit" (by hand from the record's page) or a gated action key ("opportunity.win").
    trigger = models.CharField(_("when"), max_length=60, default="submit")
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    governed_fields = models.JSONField(_("locked fields"), default=list, blank=True)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    skip_unresolved = models.BooleanField(
        _("skip steps without approver"),
        default=False,
        help_text=_(
            "When nobody can be found for a step (no manager, nobody with the role), skip it. "
            "Otherwise submitting is refused with the reason."
        ),
    )
    stuck_after_days = models.PositiveIntegerField(
        _("stuck after (days)"),
        default=3,
        help_text=_("The monitor highlights instances waiting at one step longer than this."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "workflow.ApprovalProcessVersion",
        verbose_name=_("current version"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("approval process")
        verbose_name_plural = _("approval processes")
        ordering = ["entity", "name"]
        indexes = [
            models.Index(fields=["entity", "trigger", "is_active"], name="wf_approval_proc_idx")
        ]

    def __str__(self) -> str:
        return self.name


class ApprovalProcessVersion(models.Model):
    """Keep one published definition of a process, frozen: conditions, locked fields, steps."""

    process = models.ForeignKey(
        ApprovalProcess,
        verbose_name=_("approval process"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("approval process version")
        verbose_name_plural = _("approval process versions")
        ordering = ["process", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["process", "number"], name="wf_approval_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.process} v{self.number}"

    @property
    def steps(self) -> list[dict]:
        return self.definition.get("steps", [])

    @property
    def governed_fields(self) -> list[str]:
        return self.definition.get("governed_fields", [])


class ApprovalInstance(models.Model):
    """Track one record going through one version of a process."""

    process = models.ForeignKey(
        ApprovalProcess,
        verbose_name=_("approval process"),
        on_delete=models.PROTECT,
        related_name="instances",
    )
    version = models.ForeignKey(
        ApprovalProcessVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="instances",
    )
    entity = models.CharField(_("entity"), max_length=50)
    record_id = models.PositiveBigIntegerField(_("record"))
    record_repr = models.CharField(_("record"), max_length=200, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    comment = models.TextField(_("comment"), blank=True)
    step_index = models.PositiveSmallIntegerField(_("step"), default=0)
    step_started_at = models.DateTimeField(_("waiting since"), null=True, blank=True)
    step_due_at = models.DateTimeField(_("step due"), null=True, blank=True)
    # When the approvers of the current step were reminded that it is overdue.
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    # Set when the current step has nobody left to decide (e.g. the manager left).
    stuck_reason = models.CharField(_("stuck because"), max_length=300, blank=True)
    # The gated action to perform as the requester when approved ("opportunity.win").
    gate = models.CharField(_("action"), max_length=60, blank=True)
    params = models.JSONField(_("action parameters"), default=dict, blank=True)
    perform_error = models.TextField(_("action error"), blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-started_at", "-id"]
        indexes = [
            # The monitor: running instances, oldest first, by process.
            models.Index(fields=["status", "started_at"], name="wf_approval_status_idx"),
            models.Index(fields=["process", "status"], name="wf_approval_proc_status_idx"),
            # A record's panel and the field lock.
            models.Index(fields=["entity", "record_id", "status"], name="wf_approval_record_idx"),
            models.Index(fields=["requester", "status"], name="wf_approval_requester_idx"),
            # The overdue reminder: pending instances past their step's due time.
            models.Index(fields=["status", "step_due_at"], name="wf_approval_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.process} · {self.record_repr}"

    @property
    def steps(self) -> list[dict]:
        return self.version.steps

    @property
    def is_pending(self) -> bool:
        return self.status == ApprovalStatus.PENDING


class ApprovalTask(models.Model):
    """Ask one approver to decide at one step of an instance; keep their decision."""

    instance = models.ForeignKey(
        ApprovalInstance,
        verbose_name=_("approval"),
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    step_index = models.PositiveSmallIntegerField(_("step"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        related_name="approval_tasks",
    )
    # Who the task was meant for when a delegation sent it to the assignee instead.
    delegated_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on behalf of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision = models.CharField(
        _("decision"), max_length=20, choices=TaskDecision.choices, default=TaskDecision.PENDING
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval task")
        verbose_name_plural = _("approval tasks")
        ordering = ["created_at", "id"]
        indexes = [
            # The inbox: my pending tasks, newest first.
            models.Index(
                fields=["assignee", "decision", "-created_at"], name="wf_approval_inbox_idx"
            ),
            models.Index(fields=["instance", "step_index"], name="wf_approval_task_step_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.instance} · {self.assignee}"


class ApprovalDelegation(models.Model):
    """Send a user's new approval tasks to a delegate for a while (e.g. on leave)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="approval_delegations",
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegate"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    process = models.ForeignKey(
        ApprovalProcess,
        verbose_name=_("only for the process"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("approval delegation")
        verbose_name_plural = _("approval delegations")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["user", "starts_on", "ends_on"], name="wf_approval_deleg_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.delegate}"


__all__ = [
    "ApprovalDelegation",
    "ApprovalInstance",
    "ApprovalProcess",
    "ApprovalProcessVersion",
    "ApprovalStatus",
    "ApprovalTask",
    "TaskDecision",
]
