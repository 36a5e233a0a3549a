"""Membership levels, the points ledger, earning rules and classification rules (CUS-2, CUS-6)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guanxi.customers.choices import ClassificationField, LevelColour, PointsKind


class MembershipLevel(models.Model):
    """Name a level of the loyalty programme (会员等级) reached at a number of lifetime points.

    An account's level is the highest level whose threshold its lifetime points reach
    (points earned plus adjustments; redeeming or expiring points does not lower it).
    """

    name = models.CharField(_("name"), max_length=60, unique=True)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    threshold = models.PositiveIntegerField(
        _("threshold (lifetime points)"),
        unique=True,
        help_text=_("Accounts reach this level when their lifetime points reach this number."),
    )
    benefits = models.TextField(_("benefits"), blank=True)
    colour = models.CharField(
        _("colour"), max_length=20, choices=LevelColour.choices, default=LevelColour.BLUE
    )
    allow_negative = models.BooleanField(
        _("may redeem on credit"),
        default=False,
        help_text=_("Members of this level may redeem more points than they hold."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership level")
        verbose_name_plural = _("membership levels")
        ordering = ["threshold"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """Return the name in the active language: the English name when English and set."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class PointsEntry(models.Model):
    """Record one change of an account's points: who, why, how many, and the balance after.

    Earned points and positive adjustments are lots: `remaining` says how many of them are
    still unspent. Redemptions, negative adjustments and expiry consume lots first-expiring
    first, so expiry only ever takes points that were earned and never spent.
    """

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="points_entries",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PointsKind.choices)
    points = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance after"))
    remaining = models.IntegerField(_("unspent points"), default=0)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=60, blank=True)
    source_ref = models.CharField(_("source record"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "-id"], name="points_account_idx"),
            # The nightly expiry reads only lots that still hold points.
            models.Index(
                fields=["expires_at"], name="points_expiring_idx", condition=Q(remaining__gt=0)
            ),
        ]
        constraints = [
            # An event delivered twice must not earn twice.
            models.UniqueConstraint(
                fields=["account", "source", "source_ref"],
                condition=~Q(source_ref=""),
                name="points_source_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.points:+d}"


class EarningRule(models.Model):
    """Earn points when a domain event happens, e.g. `order.paid`.

    The event's payload names the account (`account_id`) and, for points per currency
    unit, the amount (`amount`); its `id` makes the earning happen once per source record.
    """

    name = models.CharField(_("name"), max_length=100)
    event = models.CharField(
        _("event"), max_length=60, help_text=_("Domain event name, e.g. order.paid")
    )
    points_fixed = models.PositiveIntegerField(_("fixed points"), default=0)
    points_per_unit = models.DecimalField(
        _("points per currency unit"),
        max_digits=10,
        decimal_places=4,
        default=0,
        validators=[MinValueValidator(0)],
    )
    valid_days = models.PositiveIntegerField(
        _("valid for (days)"),
        null=True,
        blank=True,
        help_text=_("Earned points expire after this many days; empty for never."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["event", "id"]
        indexes = [models.Index(fields=["event", "active"], name="earning_rule_event_idx")]

    def __str__(self) -> str:
        return self.name


class ClassificationRule(models.Model):
    """Set one classification field of every account that meets all of the rule's conditions.

    Rules of the same field are tried by priority (lowest first); the first that matches
    sets the value. A rule with no conditions matches every account ("otherwise …").
    Fields a user set by hand on an account are left alone.
    """

    name = models.CharField(_("name"), max_length=100)
    field = models.CharField(_("field"), max_length=20, choices=ClassificationField.choices)
    value = models.CharField(_("value to set"), max_length=20)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    priority = models.PositiveIntegerField(_("priority"), default=100)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("classification rule")
        verbose_name_plural = _("classification rules")
        ordering = ["field", "priority", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def value_label(self) -> str:
        """Return the label of the value the rule sets, in the active language."""
        from guanxi.customers.classification import field_value_choices

        return str(dict(field_value_choices(self.field)).get(self.value, self.value))
