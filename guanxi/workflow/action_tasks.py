"""Actions that plan follow-up work on the record: a task (待办) or an activity (跟进).

The task is created like one entered on the record's page — through the activity form and
`record_create` as the rule's user — so it links to the record and its customer, shows on
the timeline, has its history and reminds its owner. Its due time is N days, or N business
hours on the assignee's calendar, after the rule ran.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.activities import links
from guanxi.activities.choices import ActivityKind, Priority
from guanxi.core import registry
from guanxi.core.services import record_create
from guanxi.workflow import action_common as common
from guanxi.workflow.actions import (
    ActionContext,
    ActionFailed,
    ActionType,
    ParamsForm,
    register_action,
)
from guanxi.workflow.calendar import business_add, working_time_for

DAYS, BUSINESS_HOURS = "days", "business_hours"
UNIT_CHOICES = [
    (DAYS, gettext_lazy("days")),
    (BUSINESS_HOURS, gettext_lazy("business hours")),
]
ACTIVITY_KINDS = [
    (kind, label)
    for kind, label in ActivityKind.choices
    if kind not in (ActivityKind.EMAIL, ActivityKind.SMS, ActivityKind.TASK)
]
MAX_OFFSET = 3650


class FollowUpForm(ParamsForm):
    subject = common.PlaceholderTextField(
        label=gettext_lazy("Subject"),
        help_text=gettext_lazy("Placeholders such as {{ record.name }} are filled in."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    assignee = forms.ChoiceField(
        label=gettext_lazy("Assign to"), choices=common.PERSON_CHOICES, initial=common.OWNER
    )
    user = forms.ModelChoiceField(
        label=gettext_lazy("User"), queryset=common.active_users().none(), required=False
    )
    offset = forms.IntegerField(
        label=gettext_lazy("Due in"), min_value=0, max_value=MAX_OFFSET, initial=1
    )
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), choices=UNIT_CHOICES, initial=DAYS)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = common.active_users()

    def clean(self):
        cleaned = super().clean()
        common.check_placeholder_fields(self)
        common.clean_person(self, "assignee", "user")
        return cleaned


class ActivityForm(FollowUpForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ACTIVITY_KINDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offset"].label = gettext_lazy("Starts in")
        self.order_fields(["kind", "subject"])


def moment(params: dict[str, Any], assignee, now: datetime.datetime | None = None):
    """Return when the task is due: N days, or N business hours on the assignee's calendar."""
    now = now or timezone.now()
    offset = int(params.get("offset") or 0)
    if params.get("unit") == BUSINESS_HOURS:
        return business_add(now, minutes=offset * 60, working=working_time_for(user=assignee))
    return now + datetime.timedelta(days=offset)


def _create(context: ActionContext, params: dict[str, Any], kind: str) -> str:
    actor = common.require_actor(context)
    record = context.record
    assignee = common.person(record, params.get("assignee") or common.OWNER, params.get("user"))
    if assignee is None:
        raise ActionFailed(
            _("Nobody to give it to: %(who)s is missing or inactive.")
            % {"who": dict(common.PERSON_CHOICES).get(params.get("assignee"), "—")}
        )
    at = moment(params, assignee, context.extra.get("now"))
    data = {
        "subject": common.render(params.get("subject") or "", record, actor=actor)[:200],
        "description": params.get("description") or "",
        "kind": kind,
        "status": "planned",
        "priority": params.get("priority") or Priority.NORMAL,
        "owner": assignee.pk,
        "link_entity": context.entity_name,
        "link_id": record.pk,
        "recurrence_interval": 1,
    }
    if kind == ActivityKind.TASK:
        data["due_at"] = at
    else:
        data["starts_at"] = at
    entity = registry.get("activity")
    with common.acting(context, _("create activities")):
        form = entity.form_class(data, user=actor)
        if not form.is_valid():
            raise ActionFailed(common.form_errors(form))
        activity = record_create(actor=actor, entity=entity, form=form)
    return _("%(kind)s “%(subject)s” created for %(user)s (#%(id)s).") % {
        "kind": activity.get_kind_display(),
        "subject": activity.subject,
        "user": common.user_label(assignee),
        "id": activity.pk,
    }


def run_create_task(context: ActionContext, params: dict[str, Any]) -> str:
    return _create(context, params, ActivityKind.TASK)


def run_create_activity(context: ActionContext, params: dict[str, Any]) -> str:
    return _create(context, params, params.get("kind") or ActivityKind.CALL)


def _when(params: dict[str, Any]) -> str:
    unit = dict(UNIT_CHOICES).get(params.get("unit"), "")
    return f"{params.get('offset', 0)} {unit}"


def _who(params: dict[str, Any]) -> str:
    if params.get("assignee") == common.USER:
        return common.user_label(common.person(None, common.USER, params.get("user")))
    return str(dict(common.PERSON_CHOICES).get(params.get("assignee"), "—"))


def describe_create_task(entity_name: str, params: dict[str, Any]) -> str:
    return _("Create the task “%(subject)s” for %(who)s, due in %(when)s") % {
        "subject": params.get("subject", ""),
        "who": _who(params),
        "when": _when(params),
    }


def describe_create_activity(entity_name: str, params: dict[str, Any]) -> str:
    return _("Plan the %(kind)s “%(subject)s” for %(who)s in %(when)s") % {
        "kind": str(dict(ActivityKind.choices).get(params.get("kind"), "")).lower(),
        "subject": params.get("subject", ""),
        "who": _who(params),
        "when": _when(params),
    }


def linkable(entity_name: str) -> bool:
    return links.linkable(entity_name) is not None


CREATE_TASK = register_action(
    ActionType(
        key="create_task",
        label=gettext_lazy("Create task"),
        form_class=FollowUpForm,
        run=run_create_task,
        describe=describe_create_task,
        applies_to=linkable,
        retry=False,
        order=20,
    )
)
CREATE_ACTIVITY = register_action(
    ActionType(
        key="create_activity",
        label=gettext_lazy("Plan activity"),
        form_class=ActivityForm,
        run=run_create_activity,
        describe=describe_create_activity,
        applies_to=linkable,
        retry=False,
        order=21,
    )
)
