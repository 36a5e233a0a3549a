"""The sales API: leads, opportunities, pipelines and their business actions."""

from ninja import Router

from guanxi.sales import opportunity_api, pipeline_api

router = Router(tags=["sales"])
router.add_router("", opportunity_api.router)
router.add_router("", pipeline_api.router)
