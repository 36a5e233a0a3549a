"""REST API of the workflow: approval processes and instances, automation rules and runs."""

from ninja import Router

from guanxi.workflow import approval_api, automation_api, calendar_api

router = Router(tags=["workflow"])
router.add_router("", calendar_api.router)
router.add_router("", approval_api.router)
router.add_router("", automation_api.router)
