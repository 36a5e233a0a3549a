"""Actions that tell people: notify users (通知), escalate to the owner's manager (升级).

Notifications go through `core.notifications.notify`, so each recipient is told in the
bell and by email as their preferences say, in their own language, with a link to the
record. "Still in state X after N business hours → escalate" is a timed rule whose action
is `escalate_to_manager`: the owner's manager is told and may be given the record.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import events
from guanxi.core.choices import Action, NotificationCategory
from guanxi.core.models import User
from guanxi.core.notifications import notify
from guanxi.core.permissions import ensure_in_scope
from guanxi.workflow import action_common as common
from guanxi.workflow.actions import (
    ActionContext,
    ActionFailed,
    ActionType,
    ParamsForm,
    register_action,
)

NOTIFY_CHOICES = [choice for choice in common.PERSON_CHOICES if choice[0] != common.USER]


def _check_view(context: ActionContext) -> User:
    actor = common.require_actor(context)
    with common.acting(context, _("see this record")):
        ensure_in_scope(actor, context.record, Action.VIEW)
    return actor


def _tell(context: ActionContext, actor: User, recipient: User, title: str, body: str) -> None:
    with common.in_language(recipient):
        notify(
            recipient=recipient,
            title=common.render(title, context.record, actor=actor),
            body=common.render(body, context.record, actor=actor),
            url=common.detail_url(context.entity_name, context.record),
            category=NotificationCategory.SYSTEM,
        )


# --- notify users ------------------------------------------------------------------------


class NotifyForm(ParamsForm):
    recipients = forms.MultipleChoiceField(
        label=gettext_lazy("Notify"),
        choices=NOTIFY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    users = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Users"), queryset=User.objects.none(), required=False
    )
    title = common.PlaceholderTextField(
        label=gettext_lazy("Message"),
        help_text=gettext_lazy("Placeholders such as {{ record.name }} are filled in."),
    )
    body = common.PlaceholderTextField(
        label=gettext_lazy("Details"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = common.active_users()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("recipients") and not cleaned.get("users") and not self.errors:
            self.add_error("recipients", _("Choose at least one person to notify."))
        common.check_placeholder_fields(self)
        return cleaned


def notify_recipients(record, params: dict[str, Any]) -> list[User]:
    found: dict[int, User] = {}
    for who in params.get("recipients") or []:
        user = common.person(record, who)
        if user is not None:
            found.setdefault(user.pk, user)
    for user in common.users_named(params.get("users")):
        if user.is_active:
            found.setdefault(user.pk, user)
    return list(found.values())


def run_notify_users(context: ActionContext, params: dict[str, Any]) -> str:
    actor = _check_view(context)
    recipients = notify_recipients(context.record, params)
    if not recipients:
        raise ActionFailed(_("Nobody to notify: the people chosen are missing or inactive."))
    for recipient in recipients:
        _tell(context, actor, recipient, params.get("title") or "", params.get("body") or "")
    return _("Notified %(users)s.") % {
        "users": ", ".join(common.user_label(user) for user in recipients)
    }


def describe_notify_users(entity_name: str, params: dict[str, Any]) -> str:
    labels = dict(NOTIFY_CHOICES)
    people = [str(labels.get(who, who)).lower() for who in params.get("recipients") or []]
    people += [common.user_label(user) for user in common.users_named(params.get("users"))]
    return _("Notify %(people)s: “%(title)s”") % {
        "people": ", ".join(people),
        "title": params.get("title", ""),
    }


NOTIFY_USERS = register_action(
    ActionType(
        key="notify_users",
        label=gettext_lazy("Notify users"),
        form_class=NotifyForm,
        run=run_notify_users,
        describe=describe_notify_users,
        retry=False,
        order=35,
    )
)


# --- escalate to the owner's manager -----------------------------------------------------


class EscalateForm(ParamsForm):
    message = common.PlaceholderTextField(
        label=gettext_lazy("Message"),
        required=False,
        help_text=gettext_lazy("Empty: “Escalated to you: <record> (owner <owner>)”."),
    )
    reassign = forms.BooleanField(
        label=gettext_lazy("Also give the record to the manager"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        common.check_placeholder_fields(self)
        return cleaned


def run_escalate(context: ActionContext, params: dict[str, Any]) -> str:
    from guanxi.workflow.action_assign import assign

    actor = _check_view(context)
    record = context.record
    owner = common.owner_of(record)
    if owner is None:
        raise ActionFailed(_("The record has no owner whose manager could be told."))
    manager = owner.manager if owner.manager_id else None
    if manager is None or not manager.is_active:
        raise ActionFailed(
            _("%(user)s has no active manager to escalate to.") % {"user": common.user_label(owner)}
        )
    message = params.get("message") or ""
    with common.in_language(manager):
        title = message or _("Escalated to you: %(record)s (owner %(owner)s)") % {
            "record": record,
            "owner": common.user_label(owner),
        }
        _tell(context, actor, manager, title, "")
    if params.get("reassign"):
        assign(context, manager)
    events.emit(
        f"{context.entity_name}.escalated",
        entity=context.entity_name,
        id=record.pk,
        actor_id=actor.pk,
        owner_id=owner.pk,
        manager_id=manager.pk,
        reassigned=bool(params.get("reassign")),
    )
    if params.get("reassign"):
        return _("Escalated to %(manager)s, who now owns it.") % {
            "manager": common.user_label(manager)
        }
    return _("Escalated to %(manager)s.") % {"manager": common.user_label(manager)}


def describe_escalate(entity_name: str, params: dict[str, Any]) -> str:
    if params.get("reassign"):
        return _("Escalate to the owner's manager and give them the record")
    return _("Escalate to the owner's manager")


ESCALATE = register_action(
    ActionType(
        key="escalate_to_manager",
        label=gettext_lazy("Escalate to manager"),
        form_class=EscalateForm,
        run=run_escalate,
        describe=describe_escalate,
        applies_to=common.has_owner,
        retry=False,
        order=36,
    )
)
