"""Models of the sales app; each part (leads, opportunities, …) keeps its own module."""

from guanxi.sales.models.calllist import CallAttempt, CallList, CallListEntry, CallOutcome
from guanxi.sales.models.competitor import CompetitorProduct
from guanxi.sales.models.forecast import ForecastOverride, Target
from guanxi.sales.models.funnel import FunnelStageTime
from guanxi.sales.models.lead import Lead
from guanxi.sales.models.lead_rules import (
    LeadAssignmentRule,
    LeadPoolSettings,
    LeadScoringRule,
    LeadWebForm,
)
from guanxi.sales.models.opportunity import (
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityLine,
    StageChange,
)
from guanxi.sales.models.pipeline import Pipeline, Stage

__all__ = [
    "CallAttempt",
    "CallList",
    "CallListEntry",
    "CallOutcome",
    "CompetitorProduct",
    "ForecastOverride",
    "FunnelStageTime",
    "Lead",
    "LeadAssignmentRule",
    "LeadPoolSettings",
    "LeadScoringRule",
    "LeadWebForm",
    "Opportunity",
    "OpportunityCompetitor",
    "OpportunityContact",
    "OpportunityLine",
    "Pipeline",
    "Stage",
    "StageChange",
    "Target",
]
