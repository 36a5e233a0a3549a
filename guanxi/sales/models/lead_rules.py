"""Lead settings: assignment rules, scoring rules, web-to-lead forms and the lead pool."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import BaseModel
from guanxi.customers.choices import Source


class AssignmentAction(models.TextChoices):
    USER = "user", _("A named user")
    ROUND_ROBIN = "round_robin", _("Round-robin within a team")
    LEAST_LOADED = "least_loaded", _("Least-loaded within a team")


class LeadAssignmentRule(BaseModel):
    """Give new leads an owner: the first active rule whose conditions hold wins.

    Empty conditions match every lead. The owner is chosen and the lead given to them by
    the `assign_owner` automation action, as an automation rule on leads would.
    `reassign_after_hours` sends a lead the rule gave out to the next owner when nobody
    contacted it in time.
    """

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # The condition language of automation rules (guanxi.workflow.conditions) on leads,
    # e.g. province in [江苏, 浙江] or source is referral; empty matches every lead.
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    action = models.CharField(
        _("assign to"), max_length=20, choices=AssignmentAction.choices, default="user"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # Round-robin: the member who got the last lead; the next one in username order follows.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reassign_after_hours = models.PositiveIntegerField(
        _("reassign after hours without contact"),
        null=True,
        blank=True,
        help_text=_("Empty: never reassign."),
    )

    class Meta:
        verbose_name = _("lead assignment rule")
        verbose_name_plural = _("lead assignment rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def assign_params(self) -> dict:
        """Return the parameters of the `assign_owner` action this rule performs."""
        return {"strategy": self.action, "user": self.user_id, "team": self.team_id}


class ScoringKind(models.TextChoices):
    FIELD = "field", _("Field value")
    ACTIVITY = "activity", _("Activity logged")
    REPLY = "reply", _("Reply from the lead (email or SMS)")


SCORING_FIELDS = (
    ("source", _("Source")),
    ("industry", _("Industry")),
    ("province", _("Province / state")),
    ("city", _("City")),
    ("has_email", _("Has an email address")),
    ("has_mobile", _("Has a mobile number")),
    ("has_company", _("Has a company")),
)


class LeadScoringRule(BaseModel):
    """Add points to a lead's score when a field has a value or an activity happened."""

    kind = models.CharField(_("kind"), max_length=20, choices=ScoringKind.choices)
    field = models.CharField(_("field"), max_length=30, choices=SCORING_FIELDS, blank=True)
    value = models.CharField(
        _("value"),
        max_length=100,
        blank=True,
        help_text=_("For field rules; yes/no fields ignore it."),
    )
    activity_kind = models.CharField(_("activity kind"), max_length=20, blank=True)
    points = models.IntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead scoring rule")
        verbose_name_plural = _("lead scoring rules")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.field or self.activity_kind} {self.value}"


def _public_key() -> str:
    return secrets.token_urlsafe(12)


WEB_FORM_FIELDS = (
    ("company", _("Company")),
    ("title", _("Job title")),
    ("mobile", _("Mobile")),
    ("phone", _("Office phone")),
    ("email", _("Email")),
    ("province", _("Province / state")),
    ("city", _("City")),
    ("product_interest", _("Product interest")),
    ("description", _("Message")),
)


class LeadWebForm(BaseModel):
    """Describe a web-to-lead form any website can embed (EC-4)."""

    name = models.CharField(_("name"), max_length=100)
    public_key = models.CharField(
        _("public key"), max_length=40, unique=True, default=_public_key, editable=False
    )
    fields = models.JSONField(_("fields shown"), default=list, blank=True)
    thank_you = models.CharField(_("thank-you text"), max_length=300, blank=True)
    consent_text = models.CharField(_("consent text"), max_length=300)
    source = models.CharField(_("source"), max_length=30, choices=Source.choices, default="website")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the assignment rules choose, else the lead waits in the pool."),
    )
    allowed_origins = models.TextField(
        _("allowed origins"),
        blank=True,
        help_text=_(
            "Websites that may post with JavaScript, one per line: https://www.example.com"
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    submissions = models.PositiveIntegerField(_("submissions"), default=0, editable=False)

    class Meta:
        verbose_name = _("web-to-lead form")
        verbose_name_plural = _("web-to-lead forms")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def origins(self) -> list[str]:
        return [
            line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()
        ]


class LeadPoolSettings(models.Model):
    """Say who sees the lead pool (leads without an owner) and how many leads one may claim."""

    roles = models.ManyToManyField(
        "core.Role",
        verbose_name=_("roles with access"),
        related_name="+",
        blank=True,
        help_text=_("Users with one of these roles see the lead pool and may claim from it."),
    )
    max_open_leads = models.PositiveIntegerField(
        _("most open leads per user"),
        null=True,
        blank=True,
        help_text=_("A user owning this many open leads may not claim more. Empty: no limit."),
    )

    class Meta:
        verbose_name = _("lead pool settings")
        verbose_name_plural = _("lead pool settings")

    def __str__(self) -> str:
        return str(_("Lead pool"))

    @classmethod
    def current(cls) -> LeadPoolSettings:
        found = cls.objects.order_by("pk").first()
        return found or cls.objects.create()
