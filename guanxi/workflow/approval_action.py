"""The "start an approval" action automation rules may take (key `start_approval`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.workflow.actions import (
    ActionContext,
    ActionFailed,
    ActionType,
    ParamsForm,
    register_action,
)
from guanxi.workflow.approval_gates import SUBMIT
from guanxi.workflow.approval_models import ApprovalProcess


class StartApprovalForm(ParamsForm):
    process = forms.ModelChoiceField(
        label=gettext_lazy("Approval process"), queryset=ApprovalProcess.objects.none()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = ApprovalProcess.objects.filter(
            entity=self.entity_name, trigger=SUBMIT, is_active=True
        )


def _run(context: ActionContext, params: dict[str, Any]) -> str:
    from guanxi.workflow import approval_services

    process = ApprovalProcess.objects.filter(pk=params.get("process"), is_active=True).first()
    if process is None or process.current_version is None:
        raise ActionFailed(_("The approval process no longer exists or is inactive."))
    actor = context.actor or getattr(context.record, "owner", None)
    if actor is None:
        raise ActionFailed(_("Nobody to submit the approval as: the record has no owner."))
    try:
        instance = approval_services.approval_submit(
            actor=actor, entity_name=context.entity_name, record=context.record, process=process
        )
    except approval_services.ApprovalError as error:
        raise ActionFailed(" ".join(error.messages)) from None
    return _("Approval #%(id)s started") % {"id": instance.pk}


def _describe(entity_name: str, params: dict[str, Any]) -> str:
    process = ApprovalProcess.objects.filter(pk=params.get("process")).first()
    return _("Start the approval “%(process)s”") % {"process": process or "?"}


register_action(
    ActionType(
        key="start_approval",
        label=gettext_lazy("Start an approval"),
        form_class=StartApprovalForm,
        run=_run,
        describe=_describe,
        retry=False,
        order=60,
    )
)
