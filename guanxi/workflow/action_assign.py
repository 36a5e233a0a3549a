"""The "assign owner" action (分配负责人) and the assignment strategies lead rules share.

An owner is chosen as a named user, round-robin through a team's active members (in
username order, from where the last assignment left off), the member with the fewest
open records, or the owner of a related record (the contact's customer's owner). The
record is then given to that owner through the entity's own assignment service, so the
history, notifications and limits (a customer cap) are those of a manual assignment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import registry
from guanxi.core.models import Team, User
from guanxi.workflow import action_common as common
from guanxi.workflow.action_models import AssignmentPointer
from guanxi.workflow.actions import (
    ActionContext,
    ActionFailed,
    ActionType,
    ParamsForm,
    register_action,
)

USER, ROUND_ROBIN, LEAST_LOADED, RELATED = "user", "round_robin", "least_loaded", "related"
STRATEGY_CHOICES = [
    (USER, gettext_lazy("A named user")),
    (ROUND_ROBIN, gettext_lazy("Round-robin within a team")),
    (LEAST_LOADED, gettext_lazy("Least open records within a team")),
    (RELATED, gettext_lazy("The owner of a related record")),
]
TEAM_STRATEGIES = (ROUND_ROBIN, LEAST_LOADED)


class NoOwnerFound(ActionFailed):
    """Nobody can be given the record (an inactive user, an empty team, no related owner)."""


# --- strategies --------------------------------------------------------------------------


def team_members(team: Team) -> list[User]:
    """Return a team's active members in the order round-robin goes through them."""
    return list(team.members.filter(is_active=True).order_by("username", "pk"))


OpenCounter = Callable[[list[int]], dict[int, int]]
_open_counters: dict[str, OpenCounter] = {}


def register_open_counts(entity_name: str, counter: OpenCounter) -> None:
    """Say how an entity counts a user's open records (leads: new, contacted, qualified)."""
    _open_counters[entity_name] = counter


def open_record_counts(entity_name: str, user_ids: list[int]) -> dict[int, int]:
    """Return how many open records of the entity each user owns (all owned by default)."""
    counter = _open_counters.get(entity_name)
    if counter is not None:
        return counter(user_ids)
    model = registry.get(entity_name).model
    rows = (
        model.objects.filter(owner_id__in=user_ids)
        .values("owner_id")
        .annotate(total=Count("pk"))
        .order_by()
    )
    return {row["owner_id"]: row["total"] for row in rows}


class FieldPointer:
    """Keep the round-robin position in a user field of a row (a lead assignment rule)."""

    def __init__(self, instance: models.Model, field: str = "last_assigned"):
        self.instance, self.field = instance, field

    def last_id(self) -> int | None:
        model = type(self.instance)
        return (
            model.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list(f"{self.field}_id", flat=True)
            .first()
        )

    def save(self, user: User) -> None:
        type(self.instance).objects.filter(pk=self.instance.pk).update(**{self.field: user})
        setattr(self.instance, self.field, user)


class KeyPointer:
    """Keep the round-robin position of an automation rule in an AssignmentPointer row."""

    def __init__(self, key: str):
        self.key = key[:100]

    def last_id(self) -> int | None:
        AssignmentPointer.objects.get_or_create(key=self.key)
        return (
            AssignmentPointer.objects.select_for_update()
            .filter(key=self.key)
            .values_list("last_assigned_id", flat=True)
            .first()
        )

    def save(self, user: User) -> None:
        AssignmentPointer.objects.filter(key=self.key).update(last_assigned=user)


def pick_owner(
    strategy: str,
    *,
    entity_name: str,
    user: User | None = None,
    team: Team | None = None,
    pointer=None,
    exclude: int | None = None,
) -> User | None:
    """Return who gets the next record by a named-user or team strategy (None if nobody).

    Round-robin moves the pointer (lock it inside the caller's transaction); `exclude` is
    an owner who may not get the record again (reassignment after no contact).
    """
    if strategy == USER:
        chosen = user if user is not None and user.is_active else None
        return None if chosen is None or chosen.pk == exclude else chosen
    if team is None:
        return None
    members = team_members(team)
    candidates = [member for member in members if member.pk != exclude]
    if not candidates:
        return None
    if strategy == LEAST_LOADED:
        counts = open_record_counts(entity_name, [member.pk for member in candidates])
        return min(candidates, key=lambda member: (counts.get(member.pk, 0), member.username))
    last_id = pointer.last_id() if pointer is not None else None
    ids = [member.pk for member in members]
    start = ids.index(last_id) + 1 if last_id in ids else 0
    rotation = members[start:] + members[:start]
    chosen = next(member for member in rotation if member.pk != exclude)
    if pointer is not None:
        pointer.save(chosen)
    return chosen


def related_paths(entity_name: str) -> list[tuple[str, str]]:
    """Return the related records (one or two links away) that have an owner, for a form."""
    entity = registry.find(entity_name)
    if entity is None:
        return []
    found: list[tuple[str, str]] = []
    for first in _owned_links(entity.model):
        target = first.related_model
        label = str(first.verbose_name).capitalize()
        found.append((first.name, label))
        for second in _owned_links(target):
            if second.related_model is entity.model:
                continue
            found.append(
                (
                    f"{first.name}.{second.name}",
                    f"{label} › {str(second.verbose_name).capitalize()}",
                )
            )
    return found


def _owned_links(model) -> list[models.ForeignKey]:
    return [
        model_field
        for model_field in model._meta.concrete_fields
        if isinstance(model_field, models.ForeignKey)
        and model_field.name not in ("owner", "created_by", "updated_by")
        and registry.for_model(model_field.related_model) is not None
        and common.has_owner(registry.for_model(model_field.related_model).name)
    ]


def related_owner(record, path: str) -> User | None:
    current = record
    for name in path.split("."):
        current = getattr(current, name, None)
        if current is None:
            return None
    owner = getattr(current, "owner", None)
    return owner if owner is not None and owner.is_active else None


def _pointer(context: ActionContext, team: Team | None):
    given = context.extra.get("pointer")
    if given is not None:
        return given
    rule = context.rule
    owner_key = f"{type(rule).__name__.lower()}:{rule.pk}" if rule is not None else "none"
    return KeyPointer(f"{context.entity_name}:{owner_key}:{getattr(team, 'pk', '')}")


def choose_owner(context: ActionContext, params: dict[str, Any]) -> User | None:
    """Return the owner the action's parameters name for this record."""
    strategy = params.get("strategy") or USER
    if strategy == RELATED:
        owner = related_owner(context.record, params.get("related") or "")
        exclude = context.extra.get("exclude_owner")
        return None if owner is None or owner.pk == exclude else owner
    rule = context.extra.get("assignment_rule")
    if rule is not None:  # a lead assignment rule: its user and team are loaded with it
        user, team = rule.user, rule.team
    else:
        user = User.objects.filter(pk=params.get("user")).first() if params.get("user") else None
        team = Team.objects.filter(pk=params.get("team")).first() if params.get("team") else None
    return pick_owner(
        strategy,
        entity_name=context.entity_name,
        user=user,
        team=team,
        pointer=_pointer(context, team) if strategy == ROUND_ROBIN else None,
        exclude=context.extra.get("exclude_owner"),
    )


# --- giving the record to the owner ------------------------------------------------------

Assigner = Callable[[ActionContext, User], None]
_assigners: dict[str, Assigner] = {}


def register_assigner(entity_name: str, assigner: Assigner) -> None:
    """Say which service gives records of an entity a new owner (leads, customers)."""
    _assigners[entity_name] = assigner


def assign(context: ActionContext, owner: User) -> None:
    """Give the record to the owner through its entity's assignment service."""
    assigner = _assigners.get(context.entity_name, assign_by_edit)
    assigner(context, owner)


def assign_by_edit(context: ActionContext, owner: User) -> None:
    """Change the owner as an edit of the record would (assign permission, history, event)."""
    from guanxi.workflow.action_records import record_set_values

    record_set_values(context, {"owner": owner.pk}, {}, what=_("assign records"))


def assign_lead(context: ActionContext, owner: User) -> None:
    from guanxi.sales import lead_services

    rule = context.extra.get("assignment_rule")
    if rule is not None:
        lead_services.lead_assign_by_rule(
            lead=context.record,
            owner=owner,
            rule=rule,
            actor=context.actor,
            notify_owner=context.extra.get("notify_owner", True),
        )
        return
    actor = common.require_actor(context)
    with common.acting(context, _("assign leads")):
        try:
            lead_services.lead_assign(actor=actor, lead=context.record, owner=owner)
        except ObjectDoesNotExist:
            raise ActionFailed(_out_of_scope(context)) from None
        except lead_services.LeadError as error:
            raise ActionFailed(error.message) from None


def assign_account(context: ActionContext, owner: User) -> None:
    from guanxi.customers import services as customer_services

    actor = common.require_actor(context)
    with common.acting(context, _("assign customers")):
        try:
            customer_services.account_assign(actor=actor, account=context.record, owner=owner)
        except ObjectDoesNotExist:
            raise ActionFailed(_out_of_scope(context)) from None
        except customer_services.OwnershipError as error:
            raise ActionFailed(error.message) from None


def _out_of_scope(context: ActionContext) -> str:
    return _("The record is outside the data scope of %(user)s, whom the rule acts as.") % {
        "user": common.user_label(context.actor)
    }


# --- the action --------------------------------------------------------------------------


class AssignOwnerForm(ParamsForm):
    strategy = forms.ChoiceField(
        label=gettext_lazy("Assign to"), choices=STRATEGY_CHOICES, initial=USER
    )
    user = forms.ModelChoiceField(
        label=gettext_lazy("User"), queryset=User.objects.none(), required=False
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        help_text=gettext_lazy("For round-robin and least open records: its active members."),
    )
    related = forms.ChoiceField(
        label=gettext_lazy("Related record"),
        required=False,
        help_text=gettext_lazy("Its owner gets the record, e.g. the contact's customer's owner."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = common.active_users()
        self.fields["related"].choices = [("", "---------"), *related_paths(self.entity_name)]

    def clean(self):
        cleaned = super().clean()
        strategy = cleaned.get("strategy")
        if strategy == USER and not cleaned.get("user") and "user" not in self.errors:
            self.add_error("user", _("Choose the user who gets the records."))
        if strategy in TEAM_STRATEGIES and not cleaned.get("team") and "team" not in self.errors:
            self.add_error("team", _("Choose the team whose members get the records."))
        if strategy == RELATED and not cleaned.get("related") and "related" not in self.errors:
            self.add_error("related", _("Choose the related record whose owner gets it."))
        return cleaned


@transaction.atomic
def run_assign_owner(context: ActionContext, params: dict[str, Any]) -> str:
    """Choose the owner and give the record to them; say who got it.

    One transaction: the round-robin position moves only when the record was given.
    """
    owner = choose_owner(context, params)
    if owner is None:
        raise NoOwnerFound(_("Nobody could be chosen as the owner (no active user)."))
    by_rule = context.extra.get("assignment_rule") is not None
    if not by_rule and getattr(context.record, "owner_id", None) == owner.pk:
        return _("%(user)s owns it already.") % {"user": common.user_label(owner)}
    assign(context, owner)
    return _("Assigned to %(user)s.") % {"user": common.user_label(owner)}


def describe_assign_owner(entity_name: str, params: dict[str, Any]) -> str:
    strategy = params.get("strategy") or USER
    if strategy == USER:
        user = User.objects.filter(pk=params.get("user")).first()
        return _("Assign to %(user)s") % {"user": common.user_label(user)}
    if strategy == RELATED:
        labels = dict(related_paths(entity_name))
        path = params.get("related") or ""
        return _("Assign to the owner of the %(record)s") % {"record": labels.get(path, path)}
    team = Team.objects.filter(pk=params.get("team")).first()
    if strategy == ROUND_ROBIN:
        return _("Assign round-robin within %(team)s") % {"team": team or "—"}
    return _("Assign to the member of %(team)s with the fewest open records") % {
        "team": team or "—"
    }


ASSIGN_OWNER = register_action(
    ActionType(
        key="assign_owner",
        label=gettext_lazy("Assign owner"),
        form_class=AssignOwnerForm,
        run=run_assign_owner,
        describe=describe_assign_owner,
        applies_to=common.has_owner,
        retry=False,
        order=10,
    )
)
