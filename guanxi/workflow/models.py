"""Models of the workflow app."""

from guanxi.workflow.calendar_models import *  # noqa: F403
