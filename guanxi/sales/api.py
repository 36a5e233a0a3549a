"""The sales API: leads, opportunities, pipelines and their business actions."""

from ninja import Router

router = Router(tags=["sales"])

from guanxi.sales import forecast_api  # noqa: E402

router.add_router("/", forecast_api.router)
