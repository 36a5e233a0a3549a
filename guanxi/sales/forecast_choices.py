"""Choices of the funnel, forecast and targets: period types, figures, funnel scopes."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PeriodType(models.TextChoices):
    """How long a target or forecast period is."""

    MONTH = "month", pgettext_lazy("period", "Month")
    QUARTER = "quarter", pgettext_lazy("period", "Quarter")
    YEAR = "year", pgettext_lazy("period", "Year")


class ForecastFigure(models.TextChoices):
    """Which forecast figure a manager adjusts."""

    COMMIT = "commit", _("Commit")
    BEST_CASE = "best_case", _("Best case")
    WEIGHTED = "weighted", _("Weighted pipeline")


class FunnelBasis(models.TextChoices):
    """Which date puts a deal in the funnel's period."""

    CREATED = "created", _("Created in the period")
    CLOSE = "close", _("Expected to close in the period")


class FunnelScope(models.TextChoices):
    """Whose deals the funnel counts, always within the user's data scope."""

    ME = "me", _("My deals")
    TEAM = "team", _("A team")
    DEPARTMENT = "department", _("A department and below")
    ALL = "all", _("Everything I may see")
