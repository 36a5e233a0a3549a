"""REST API of the workflow: approval processes and instances, automation rules and runs."""

from ninja import Router

from guanxi.workflow import automation_api

router = Router(tags=["workflow"])
router.add_router("", automation_api.router)
