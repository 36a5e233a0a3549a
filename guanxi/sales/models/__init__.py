"""Models of the sales app; each part (leads, opportunities, …) keeps its own module."""

from guanxi.sales.models.forecast import ForecastOverride, Target
from guanxi.sales.models.lead import Lead
from guanxi.sales.models.opportunity import (
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    StageChange,
)
from guanxi.sales.models.pipeline import Pipeline, Stage

__all__ = [
    "ForecastOverride",
    "Lead",
    "Opportunity",
    "OpportunityCompetitor",
    "OpportunityContact",
    "OpportunityLine",
    "Pipeline",
    "Stage",
    "StageChange",
    "Target",
]
