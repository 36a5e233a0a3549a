"""The "return to public pool" action (退回公海): the effect of the pools' return rule.

The nightly pool rules (`customers.pool_rules`) call this action for every customer that
is due, without a user; an automation rule calls it as its run-as user, who must be
allowed to edit the customer. Either way the owner's period is closed with the reason,
the change is written to the history, the owner is told in their language and
`account.returned_to_pool` is emitted.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import events
from guanxi.core.choices import Action, NotificationCategory
from guanxi.core.notifications import notify
from guanxi.core.permissions import ensure_in_scope, require
from guanxi.workflow import action_common as common
from guanxi.workflow.actions import (
    ActionContext,
    ActionFailed,
    ActionType,
    ParamsForm,
    register_action,
)


def _pools():
    from guanxi.customers.models import Pool

    return Pool.objects.filter(is_active=True).order_by("name")


class ReturnToPoolForm(ParamsForm):
    pool = forms.ModelChoiceField(
        label=gettext_lazy("Public pool"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("Empty: the customer's own pool, else the default pool."),
    )
    reason = common.PlaceholderTextField(
        label=gettext_lazy("Reason"),
        max_length=300,
        help_text=gettext_lazy("Kept in the ownership history and told to the owner."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pool"].queryset = _pools()

    def clean(self):
        cleaned = super().clean()
        common.check_placeholder_fields(self)
        return cleaned


def _target_pool(account, params: dict[str, Any]):
    from guanxi.customers.models import Pool

    if params.get("pool"):
        pool = Pool.objects.filter(pk=params["pool"], is_active=True).first()
        if pool is None:
            raise ActionFailed(_("The public pool no longer exists or is not active."))
        return pool
    pool = account.pool or Pool.objects.filter(is_default=True, is_active=True).first()
    if pool is None:
        raise ActionFailed(
            _("“%(name)s” belongs to no public pool and there is no default pool.")
            % {"name": account}
        )
    return pool


def _tell_owner(owner, account, pool, reason) -> None:
    if owner is None or not owner.is_active:
        return
    with common.in_language(owner):
        notify(
            recipient=owner,
            title=_("Customer %(record)s went back to the public pool %(pool)s")
            % {"record": account, "pool": pool},
            body=str(reason),
            url=reverse("web:account_detail", args=[account.pk]),
            category=NotificationCategory.POOL,
        )


@transaction.atomic
def run_return_to_pool(context: ActionContext, params: dict[str, Any]) -> str:
    """Put the customer back into a pool; say which.

    The pool rules pass the pool in `params` and, in `context.extra`, the moment (`now`)
    and a `reason` that reads in the active language (a lazy text), so the history keeps
    it in the site's language and the owner reads it in theirs.
    """
    from guanxi.customers.choices import OwnershipEnd
    from guanxi.customers.models import Account
    from guanxi.customers.services import account_return_to_pool

    actor = context.actor
    now = context.extra.get("now") or timezone.now()
    if actor is not None:
        with common.acting(context, _("edit customers")):
            require(actor, "account", Action.EDIT)
            ensure_in_scope(actor, context.record, Action.EDIT)
    account = (
        Account.objects.select_for_update(of=("self",))
        .select_related("owner", "pool")
        .get(pk=context.record.pk)
    )
    owner = account.owner
    if owner is None:
        return _("“%(name)s” has no owner; nothing to return.") % {"name": account}
    pool = _target_pool(account, params)
    reason = context.extra.get("reason") or common.render(
        params.get("reason") or "", account, actor=actor
    )
    with common.in_language(None):
        stored_reason = str(reason)
    account_return_to_pool(
        account, pool=pool, actor=actor, now=now, end=OwnershipEnd.RETURNED, reason=stored_reason
    )
    _tell_owner(owner, account, pool, reason)
    events.emit(
        "account.returned_to_pool",
        entity="account",
        id=account.pk,
        actor_id=getattr(actor, "pk", None),
        previous_owner_id=owner.pk,
        pool_id=pool.pk,
        reason=stored_reason,
    )
    context.record = account
    return _("Returned to the public pool %(pool)s.") % {"pool": pool}


def describe_return_to_pool(entity_name: str, params: dict[str, Any]) -> str:
    pool = _pools().filter(pk=params.get("pool")).first() if params.get("pool") else None
    if pool is None:
        return _("Return to the customer's public pool: %(reason)s") % {
            "reason": params.get("reason", "")
        }
    return _("Return to the public pool %(pool)s: %(reason)s") % {
        "pool": pool,
        "reason": params.get("reason", ""),
    }


RETURN_TO_POOL = register_action(
    ActionType(
        key="return_to_pool",
        label=gettext_lazy("Return to public pool"),
        form_class=ReturnToPoolForm,
        run=run_return_to_pool,
        describe=describe_return_to_pool,
        applies_to=lambda entity_name: entity_name == "account",
        retry=False,
        order=15,
    )
)
