"""REST API of the workflow: approval processes and instances, automation rules and runs."""

from ninja import Router

router = Router(tags=["workflow"])
