"""Models of the workflow app."""

from guanxi.workflow.approval_models import *  # noqa: F403
