"""The demo defines the approval processes and leaves one large win waiting for its manager."""

import pytest
from django.core.management import call_command

from guanxi.workflow.approval_models import ApprovalInstance, ApprovalProcess, ApprovalStatus

pytestmark = pytest.mark.django_db


def test_demo_processes_and_a_waiting_large_win(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("demo", accounts=30)
    names = set(ApprovalProcess.objects.values_list("name", flat=True))
    assert names == {"大额赢单审批", "跨部门客户转移审批", "重要客户认定审批"}
    waiting = ApprovalInstance.objects.get()
    assert waiting.status == ApprovalStatus.PENDING
    assert waiting.gate == "opportunity.win"
    assert waiting.requester.username in ("zhangwei", "liuyang", "zhoujie")
    assert [task.assignee for task in waiting.tasks.all()] == [waiting.requester.manager]

    call_command("demo", reset=True, accounts=30)
    assert ApprovalProcess.objects.count() == 3
    assert ApprovalInstance.objects.count() == 1
