"""Gated actions (需审批的操作): business actions that wait for an approval when one applies.

An app declares the actions of its entities that may need approval once:

    register_gate("opportunity.win", "opportunity", _("Mark a deal won"), perform=...)

and the service that would do the action asks first:

    pending = approval_gate("opportunity.win", record=deal, actor=user, params={...})
    if pending is not None:
        return ...  # the action waits for the approval

`approval_gate` starts an approval instance when an active process of that action applies
to the record and returns it; it returns None when none applies, and the service goes on.
When the instance is finally approved, `perform(actor=requester, record=record,
params=params)` runs as the requester; while it runs, the same gate lets the action through.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

SUBMIT = "submit"


@dataclass(frozen=True)
class Gate:
    """Describe one action that may need approval."""

    key: str
    entity: str
    label: str | Promise
    perform: Callable[..., Any]
    # Return a sentence describing the action with its parameters for the approver.
    describe: Callable[[dict[str, Any]], str] | None = None


_gates: dict[str, Gate] = {}
_performing: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar(
    "approval_performing", default=None
)


def register_gate(
    key: str,
    entity: str,
    label: str | Promise,
    *,
    perform: Callable[..., Any],
    describe: Callable[[dict[str, Any]], str] | None = None,
) -> Gate:
    gate = Gate(key=key, entity=entity, label=label, perform=perform, describe=describe)
    _gates[key] = gate
    return gate


def get_gate(key: str) -> Gate | None:
    return _gates.get(key)


def gates(entity: str | None = None) -> list[Gate]:
    return [gate for gate in _gates.values() if entity is None or gate.entity == entity]


@contextlib.contextmanager
def performing(key: str, record_id: int):
    """Let the gated action on this record through while an approved instance performs it."""
    token = _performing.set((key, record_id))
    try:
        yield
    finally:
        _performing.reset(token)


def approval_gate(
    key: str, *, record, actor, params: dict[str, Any] | None = None, field: str = "__all__"
):
    """Start an approval for the action if a process applies; return it, or None to go on.

    Raises ValidationError({field: [message]}) when a process applies but cannot start,
    e.g. nobody can approve its first step or one is already running; the action must not
    happen then either.
    """
    if _performing.get() == (key, record.pk) or key not in _gates:
        return None
    from django.core.exceptions import ValidationError

    from guanxi.workflow import approval_services

    process = approval_services.applicable_process(_gates[key].entity, key, record)
    if process is None:
        return None
    try:
        return approval_services.approval_start(
            actor=actor, process=process, record=record, gate=key, params=params or {}
        )
    except approval_services.ApprovalError as error:
        raise ValidationError({field: error.messages}) from None


def gate_applies(key: str, record) -> bool:
    """Tell whether doing the action on the record now would need approval."""
    if _performing.get() == (key, record.pk) or key not in _gates:
        return False
    from guanxi.workflow import approval_services

    return approval_services.applicable_process(_gates[key].entity, key, record) is not None


def pending_for(record) -> Any:
    """Return the approval a gated action just started on this record (set by services)."""
    return getattr(record, "pending_approval", None)
