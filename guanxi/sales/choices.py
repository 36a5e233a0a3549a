"""Choices of sales: lead statuses, reasons, forecast categories."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadStatus(models.TextChoices):
    """Where a lead stands by contact stage (线索状态)."""

    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")
    CONVERTED = "converted", _("Converted")


class UnqualifiedReason(models.TextChoices):
    NO_BUDGET = "no_budget", _("No budget")
    NO_NEED = "no_need", _("No need")
    NO_AUTHORITY = "no_authority", _("Not a decision maker")
    BAD_TIMING = "bad_timing", _("Bad timing")
    COMPETITOR = "competitor", _("Went with a competitor")
    UNREACHABLE = "unreachable", _("Could not be reached")
    INVALID = "invalid", _("Invalid or spam")
    OTHER = "other", _("Other")


class CloseReason(models.TextChoices):
    """Why a deal was won or lost (赢单/输单原因)."""

    PRICE = "price", _("Price")
    PRODUCT_FIT = "product_fit", _("Product fit")
    RELATIONSHIP = "relationship", _("Relationship")
    SERVICE = "service", _("Service and support")
    COMPETITOR = "competitor", _("Competitor")
    NO_DECISION = "no_decision", _("No decision")
    TIMING = "timing", _("Timing")
    BUDGET = "budget", _("Budget")
    OTHER = "other", _("Other")


class ForecastCategory(models.TextChoices):
    """How sure a rep is of a deal in the forecast (销售预测分类)."""

    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    OMITTED = "omitted", _("Omitted")
