"""Telesales call lists (呼叫列表): records to call, split among reps, and each call made."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import OwnedModel
from guanxi.sales.calllist_choices import CallListEntity, CallListStatus, EntryStatus
from guanxi.sales.models.pipeline import BilingualName


class CallOutcome(BilingualName):
    """Hold one configurable call outcome code (connected-interested, no answer, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_connected = models.BooleanField(
        _("connected"), default=False, help_text=_("The call reached the person.")
    )
    closes_entry = models.BooleanField(
        _("finishes the entry"),
        default=True,
        help_text=_("Otherwise the record is called again later."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("call outcome")
        verbose_name_plural = _("call outcomes")
        ordering = ["position", "id"]


class CallList(OwnedModel):
    """Hold a list of leads, contacts or customers to call, built from a list filter."""

    name = models.CharField(_("name"), max_length=200)
    entity = models.CharField(_("records"), max_length=20, choices=CallListEntity.choices)
    filter_query = models.CharField(
        _("built from filter"), max_length=2000, blank=True, editable=False
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CallListStatus.choices, default=CallListStatus.ACTIVE
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("call list")
        verbose_name_plural = _("call lists")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="calllist_owner_idx"),
            models.Index(fields=["status", "-created_at"], name="calllist_status_idx"),
            models.Index(fields=["name"], name="calllist_name_idx"),
            models.Index(fields=["entity"], name="calllist_entity_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class CallListEntry(models.Model):
    """Hold one record of a call list: who calls it, in which order, and how it stands."""

    call_list = models.ForeignKey(
        CallList, verbose_name=_("call list"), on_delete=models.CASCADE, related_name="entries"
    )
    record_id = models.BigIntegerField(_("record"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="call_entries",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=EntryStatus.choices, default=EntryStatus.PENDING
    )
    outcome = models.ForeignKey(
        CallOutcome,
        verbose_name=_("outcome"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_called_at = models.DateTimeField(_("last called"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("call list entry")
        verbose_name_plural = _("call list entries")
        ordering = ["call_list", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call_list", "record_id"], name="calllist_record_unique"
            )
        ]
        indexes = [
            # The call screen's "next": a rep's open entries in order, callbacks by time.
            models.Index(
                fields=["call_list", "assigned_to", "status", "position"], name="callentry_next_idx"
            ),
            models.Index(fields=["assigned_to", "status", "callback_at"], name="callentry_cb_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_list} #{self.position}"


class CallAttempt(models.Model):
    """Record one call made from a call list: who, when, the outcome, a callback asked."""

    entry = models.ForeignKey(
        CallListEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="calls"
    )
    call_list = models.ForeignKey(
        CallList, verbose_name=_("call list"), on_delete=models.CASCADE, related_name="calls"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    called_at = models.DateTimeField(_("called at"))
    outcome = models.ForeignKey(
        CallOutcome, verbose_name=_("outcome"), on_delete=models.PROTECT, related_name="+"
    )
    is_connected = models.BooleanField(_("connected"), default=False)
    note = models.TextField(_("note"), blank=True)
    callback_at = models.DateTimeField(_("callback scheduled for"), null=True, blank=True)
    # Set by the next call of the entry: True when it came close enough to callback_at.
    callback_kept = models.BooleanField(_("callback kept"), null=True, blank=True)
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("call made")
        verbose_name_plural = _("calls made")
        ordering = ["-called_at", "-id"]
        indexes = [
            models.Index(fields=["rep", "called_at"], name="callattempt_rep_idx"),
            models.Index(fields=["called_at"], name="callattempt_time_idx"),
            models.Index(fields=["rep", "callback_at"], name="callattempt_cb_idx"),
            models.Index(fields=["entry", "-called_at"], name="callattempt_entry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} @ {self.called_at}"
