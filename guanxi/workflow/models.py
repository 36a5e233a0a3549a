"""Models of the workflow app."""

from guanxi.workflow.automation_models import *  # noqa: F403
from guanxi.workflow.timer_models import *  # noqa: F403
