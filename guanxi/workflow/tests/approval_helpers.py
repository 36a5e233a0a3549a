"""Helpers of the approval tests: an organisation with managers and a process builder."""

from __future__ import annotations

from decimal import Decimal

from guanxi.core.models import Role
from guanxi.core.tests.factories import DepartmentFactory, UserFactory, grant
from guanxi.sales.opportunity_services import after_write
from guanxi.sales.tests.factories import OpportunityFactory
from guanxi.workflow import approval_services
from guanxi.workflow.approval_models import ApprovalTask, TaskDecision


class Org:
    """Sales headquarters above the East region; a rep, their manager and a director."""

    def __init__(self):
        self.hq = DepartmentFactory(name="销售总部")
        self.east = DepartmentFactory(name="华东区", parent=self.hq)
        self.director_role = Role.objects.create(name="销售总监")
        self.director = UserFactory(username="zhao.director", department=self.hq)
        self.vp = UserFactory(username="qian.vp", department=self.hq)
        self.manager = UserFactory(
            username="wang.manager", department=self.east, manager=self.director
        )
        self.rep = UserFactory(username="li.rep", department=self.east, manager=self.manager)
        self.hq.manager = self.vp
        self.hq.save()
        self.east.manager = self.manager
        self.east.save()
        self.admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
        grant(self.rep, "opportunity", scope="own")
        grant(self.rep, "account", scope="own")


def step(kind="manager", mode="any", skip_requester=True, due_hours=None, name="", **approver):
    return {
        "name": name,
        "approver": {"kind": kind, **approver},
        "mode": mode,
        "skip_requester": skip_requester,
        "due_hours": due_hours,
    }


def make_process(org, *, entity="opportunity", trigger="submit", steps=None, **values):
    return approval_services.process_save(
        actor=org.admin,
        process=None,
        values={
            "name": values.pop("name", "大额赢单审批"),
            "entity": entity,
            "trigger": trigger,
            "steps": steps or [step("manager")],
            "conditions": values.pop("conditions", {}),
            "governed_fields": values.pop("governed_fields", ["amount"]),
            **values,
        },
    )


def deal(owner, amount="600000", **kwargs):
    opportunity = OpportunityFactory(owner=owner, amount=Decimal(amount), **kwargs)
    after_write(owner, opportunity, None)
    opportunity.refresh_from_db()
    return opportunity


def open_task(user, instance) -> ApprovalTask:
    return ApprovalTask.objects.get(assignee=user, instance=instance, decision=TaskDecision.PENDING)


def approve(user, instance, comment=""):
    return approval_services.approval_decide(
        actor=user, task=open_task(user, instance), approve=True, comment=comment
    )
