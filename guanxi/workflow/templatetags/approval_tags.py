"""The approval panel on a record's page: pending approvals and "Submit for approval"."""

from django import template

from guanxi.core.choices import Action
from guanxi.core.permissions import can

register = template.Library()


@register.inclusion_tag("workflow/approval/partials/record_panel.html", takes_context=True)
def approval_panel(context, entity, record):
    from guanxi.workflow.approval_services import pending_instances, submit_processes

    user = context["request"].user
    pending = pending_instances(entity.name, record.pk)
    submitted = {instance.process_id for instance in pending}
    can_submit = bool(context.get("can_edit", can(user, entity.name, Action.EDIT))) and any(
        process.pk not in submitted for process in submit_processes(entity.name, record)
    )
    return {"pending": pending, "can_submit": can_submit, "entity": entity, "record": record}
