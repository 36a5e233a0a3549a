"""Demo approvals: large deal wins and cross-department transfers, with one waiting now.

"大额赢单审批" (Large deal win approval): a deal over 500,000 CNY moved to won waits for the
rep's manager, then the sales director (the head of the department above the rep's).
"跨部门客户转移审批": a customer transferred to an owner in another department waits for the
head of the requester's department. "重要客户认定审批" is submitted by hand.
"""

from __future__ import annotations

import logging
import random

from django.core.exceptions import ValidationError
from django.db.models import Q

from guanxi.sales.models import Opportunity
from guanxi.sales.opportunity_services import opportunity_move_stage
from guanxi.workflow import approval_services
from guanxi.workflow.approval_models import (
    ApprovalDelegation,
    ApprovalInstance,
    ApprovalProcess,
)

logger = logging.getLogger(__name__)
DEMO_PROCESSES = ("大额赢单审批", "跨部门客户转移审批", "重要客户认定审批")


def _step(name, kind, **approver):
    return {
        "name": name,
        "approver": {"kind": kind, **approver},
        "mode": "any",
        "skip_requester": True,
        "due_hours": 8,
    }


def create(rng: random.Random, *, users) -> list[ApprovalProcess]:
    """Define the demo processes and send one large deal of a rep for approval."""
    admin = users["wangjianguo"]
    win = approval_services.process_write(
        actor=admin,
        process=None,
        values={
            "name": DEMO_PROCESSES[0],
            "description": "Large deal win approval: deals over 500,000 CNY need the manager's "
            "and the sales director's approval.",
            "entity": "opportunity",
            "trigger": "opportunity.win",
            "conditions": {
                "match": "all",
                "rules": [{"field": "amount", "op": "gt", "value": "500000"}],
            },
            "governed_fields": ["amount", "stage", "expected_close"],
            "steps": [
                _step("直属上级审批", "manager"),
                _step("销售总监审批", "department_head", levels=1),
            ],
        },
    )
    transfer = approval_services.process_write(
        actor=admin,
        process=None,
        values={
            "name": DEMO_PROCESSES[1],
            "description": "Transfers of customers to another department need the head of the "
            "requester's department.",
            "entity": "account",
            "trigger": "account.transfer_department",
            "governed_fields": ["owner"],
            "steps": [_step("部门负责人审批", "department_head", levels=0)],
        },
    )
    grade = approval_services.process_write(
        actor=admin,
        process=None,
        values={
            "name": DEMO_PROCESSES[2],
            "description": "Submit a customer graded important for confirmation.",
            "entity": "account",
            "trigger": "submit",
            "conditions": {
                "match": "all",
                "rules": [{"field": "grade", "op": "in", "value": ["important", "vip"]}],
            },
            "governed_fields": ["grade"],
            "steps": [_step("部门负责人审批", "department_head", levels=0)],
        },
    )
    _send_a_large_win(users)
    return [win, transfer, grade]


def _send_a_large_win(users) -> None:
    reps = [users[name] for name in ("zhangwei", "liuyang", "zhoujie") if name in users]
    deal = (
        Opportunity.objects.filter(owner__in=reps, stage__is_won=False, stage__is_lost=False)
        .select_related("pipeline", "owner")
        .order_by("-amount", "pk")
        .first()
    )
    if deal is None:
        return
    rep = deal.owner
    if deal.amount <= 500000:
        deal.amount = 680000
        deal.save(update_fields=["amount"])
    won = deal.pipeline.stages.filter(is_won=True, is_archived=False).first()
    if won is None:
        return
    try:
        opportunity_move_stage(actor=rep, opportunity=deal, stage=won)
    except ValidationError as error:
        # A demo deal missing a field the won stage requires stays where it is.
        logger.info("Demo deal %s not sent for approval: %s", deal.pk, error.messages)


def delete(user_ids) -> None:
    """Remove the demo approvals before their users go."""
    mine = Q(requester__in=user_ids) | Q(tasks__assignee__in=user_ids)
    ApprovalInstance.objects.filter(mine).distinct().delete()
    ApprovalDelegation.objects.filter(user__in=user_ids).delete()
    ApprovalProcess.objects.filter(name__in=DEMO_PROCESSES).delete()
