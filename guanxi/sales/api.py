"""The sales API: leads, opportunities, pipelines and their business actions."""

from ninja import Router

from guanxi.sales.lead_api import router as lead_router

router = Router(tags=["sales"])
router.add_router("/", lead_router)
