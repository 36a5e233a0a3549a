"""Wire approvals into the rest of Guanxi: gated actions, field locks, pages, timelines.

The two actions that exist today are declared here so the sales and customers apps only
ask `approval_gate` at the point of action: a deal moved to a won stage
(`opportunity.win`) and a customer transferred to an owner in another department
(`account.transfer_department`). Later modules declare their own with `register_gate`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import locks, registry, timeline
from guanxi.workflow.approval_gates import gate_applies, register_gate
from guanxi.workflow.approval_models import ApprovalStatus

PANEL = "workflow/approval/partials/record_actions.html"
HISTORY_FIELDS = {
    "approval": (gettext_lazy("Approval"), ApprovalStatus.choices),
    "approval_note": (gettext_lazy("Approval step"), None),
}


# --- Gated actions ------------------------------------------------------------------------


def _win(*, actor, record, params: dict[str, Any]) -> None:
    from guanxi.sales.models import Stage
    from guanxi.sales.opportunity_services import opportunity_move_stage

    stage = Stage.objects.get(pk=params["stage"])
    opportunity_move_stage(
        actor=actor,
        opportunity=record,
        stage=stage,
        close_reason=params.get("close_reason", ""),
        close_note=params.get("close_note", ""),
    )


def _describe_win(params: dict[str, Any]) -> str:
    from guanxi.sales.models import Stage

    stage = Stage.objects.filter(pk=params.get("stage")).first()
    return _("Move the deal to “%(stage)s”") % {"stage": stage.name if stage else "?"}


def _transfer(*, actor, record, params: dict[str, Any]) -> None:
    from guanxi.core.models import User
    from guanxi.customers.services import OwnershipError, account_transfer

    owner = User.objects.get(pk=params["owner"])
    try:
        account_transfer(
            actor=actor,
            account=record,
            owner=owner,
            include_contacts=bool(params.get("include_contacts")),
            include_related=bool(params.get("include_related")),
        )
    except OwnershipError as error:
        from django.core.exceptions import ValidationError

        raise ValidationError(error.message) from None


def _describe_transfer(params: dict[str, Any]) -> str:
    from guanxi.core.models import User

    owner = User.objects.select_related("department").filter(pk=params.get("owner")).first()
    if owner is None:
        return _("Transfer to a user who no longer exists")
    return _("Transfer to %(owner)s (%(department)s)") % {
        "owner": owner,
        "department": owner.department or "—",
    }


def register_gates() -> None:
    register_gate(
        "opportunity.win",
        "opportunity",
        gettext_lazy("Moved to a won stage"),
        perform=_win,
        describe=_describe_win,
    )
    register_gate(
        "account.transfer_department",
        "account",
        gettext_lazy("Transferred to an owner in another department"),
        perform=_transfer,
        describe=_describe_transfer,
    )


# --- Field locks ----------------------------------------------------------------------------


def edit_guard(actor, entity_name: str, record, fields: set[str]) -> dict[str, str]:
    """Refuse edits of fields an approval locks, and gated changes made through a form."""
    from guanxi.workflow.approval_definitions import lockable_fields
    from guanxi.workflow.approval_services import pending_instances

    problems: dict[str, str] = {}
    if record.pk:
        for instance in pending_instances(entity_name, record.pk):
            locked = set(instance.version.governed_fields) & fields
            if not locked:
                continue
            labels = lockable_fields(entity_name)
            for field in sorted(locked):
                problems[field] = _(
                    "“%(field)s” cannot change while the approval “%(process)s” is pending."
                ) % {"field": labels.get(field, field), "process": instance.process.name}
    if (
        entity_name == "opportunity"
        and "stage" in fields
        and "stage" not in problems
        and record.stage_id
        and record.stage.is_won
        and gate_applies("opportunity.win", record)
    ):
        problems["stage"] = _(
            "Winning this deal needs approval: move it to the won stage with the stage "
            "buttons or the board, which send it for approval."
        )
    if entity_name == "account" and "owner" in fields and "owner" not in problems and record.pk:
        problems.update(_account_owner_problem(record))
    return problems


def _account_owner_problem(record) -> dict[str, str]:
    from guanxi.customers.models import Account

    old = Account.objects.filter(pk=record.pk).values_list("owner__department_id", "owner_id")
    old_department, old_owner = next(iter(old), (None, None))
    new_department = record.owner.department_id if record.owner_id else None
    if old_owner is None or record.owner_id is None or old_department == new_department:
        return {}
    if not gate_applies("account.transfer_department", record):
        return {}
    return {
        "owner": _(
            "A transfer to an owner in another department needs approval: use Transfer, "
            "which sends it for approval."
        )
    }


# --- Pages, history and timelines ------------------------------------------------------------


def _timeline_items(record, user, before, limit):
    from guanxi.workflow.approval_queries import timeline_items

    entity = registry.for_model(type(record))
    return timeline_items(entity.name, record.pk, before, limit)


SOURCE = timeline.TimelineSource(
    kind="approval", label=gettext_lazy("Approvals"), icon="checkup-list", items=_timeline_items
)


def wire_entities() -> None:
    """Give every registered entity the approval panel, history labels and timeline items."""
    for entity in registry.entities():
        if PANEL not in entity.extra_detail_actions:
            entity.extra_detail_actions.append(PANEL)
        for key, value in HISTORY_FIELDS.items():
            entity.extra_history_fields.setdefault(key, value)
        # Entities with a timeline show their approvals on it; the others in the history.
        if timeline.has_sources(entity.name):
            timeline.register(entity.name, SOURCE)


def ready() -> None:
    register_gates()
    locks.register_edit_guard(edit_guard)
    wire_entities()
    from guanxi.workflow import (  # noqa: F401  (registrations)
        approval_action,
        approval_menu,
        approval_tasks,
    )
