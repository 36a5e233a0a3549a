"""Models of the workflow app."""

from guanxi.workflow.action_models import *  # noqa: F403
