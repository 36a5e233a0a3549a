"""Demo automation rules: a follow-up task for new customers, a manager told of a large deal
in its last open stage, and a new lead still untouched after a business day escalated.

The rules go through the same validation as the settings screen, so a demo that no longer
matches the engine fails loudly instead of storing a rule the editor would refuse.
"""

from __future__ import annotations

from guanxi.sales.pipeline_services import pipeline_default
from guanxi.workflow.automation_models import AutomationRule
from guanxi.workflow.automation_services import (
    RuleData,
    automation_rule_save,
    automation_rule_validate,
)

DEMO_RULES = ("新客户次日回访", "大额商机进入谈判阶段通知上级", "新线索一个工作日未处理升级")


def _last_open_stage_ids() -> list[int]:
    stages = [
        stage
        for stage in pipeline_default().stages.order_by("position")
        if not stage.is_won and not stage.is_lost
    ]
    return [stages[-1].pk] if stages else []


def _rules(owner) -> list[RuleData]:
    return [
        RuleData(
            name=DEMO_RULES[0],
            description="New customer: a call back the next working day.",
            entity="account",
            trigger="created",
            actions=[
                {
                    "type": "create_task",
                    "params": {
                        "subject": "回访新客户 {{ record.name }}",
                        "assignee": "owner",
                        "offset": 8,
                        "unit": "business_hours",
                        "priority": "normal",
                    },
                }
            ],
            owner_id=owner.pk,
        ),
        RuleData(
            name=DEMO_RULES[1],
            description="A deal over 500,000 in its last open stage: tell the owner's manager.",
            entity="opportunity",
            trigger="stage_entered",
            trigger_params={"stages": _last_open_stage_ids()},
            conditions={
                "match": "all",
                "rules": [{"field": "amount", "op": "gt", "value": "500000"}],
            },
            actions=[
                {
                    "type": "notify_users",
                    "params": {
                        "recipients": ["manager"],
                        "title": "大额商机进入谈判：{{ record.name }}",
                    },
                }
            ],
            owner_id=owner.pk,
        ),
        RuleData(
            name=DEMO_RULES[2],
            description="A new lead nobody touched for a business day goes to the manager.",
            entity="lead",
            trigger="still_matching",
            trigger_params={"hours": 8},
            conditions={"match": "all", "rules": [{"field": "status", "op": "eq", "value": "new"}]},
            actions=[{"type": "escalate_to_manager", "params": {"reassign": False}}],
            owner_id=owner.pk,
        ),
    ]


def create(owner) -> list[AutomationRule]:
    """Create the demo rules once, acting and running as `owner` (an administrator)."""
    made = []
    for data in _rules(owner):
        if AutomationRule.objects.filter(name=data.name).exists():
            continue
        cleaned, errors = automation_rule_validate(data)
        if errors:
            raise ValueError(f"Demo rule {data.name!r} is not valid: {errors}")
        made.append(automation_rule_save(actor=owner, rule=None, cleaned=cleaned, version=None))
    return made


def delete() -> None:
    AutomationRule.objects.filter(name__in=DEMO_RULES).delete()
