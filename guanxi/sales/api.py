"""The sales API: leads, opportunities, pipelines and their business actions."""

from ninja import Router

router = Router(tags=["sales"])
