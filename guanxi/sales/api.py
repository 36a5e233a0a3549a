"""The sales API: leads, opportunities, pipelines and their business actions."""

from ninja import Router

from guanxi.sales import (
    calllist_api,
    competitor_api,
    forecast_api,
    opportunity_api,
    pipeline_api,
)
from guanxi.sales.lead_api import router as lead_router

router = Router(tags=["sales"])
router.add_router("", opportunity_api.router)
router.add_router("", pipeline_api.router)
router.add_router("", competitor_api.router)
router.add_router("", calllist_api.router)
router.add_router("/", lead_router)
router.add_router("/", forecast_api.router)
