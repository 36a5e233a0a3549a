"""Models of the workflow app."""

from guanxi.workflow.action_models import *  # noqa: F403
from guanxi.workflow.approval_models import *  # noqa: F403
from guanxi.workflow.automation_models import *  # noqa: F403
from guanxi.workflow.calendar_models import *  # noqa: F403
from guanxi.workflow.timer_models import *  # noqa: F403
