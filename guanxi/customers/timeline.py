"""What the customer 360° timeline shows besides the account's own changes (CUS-8).

Each source reads its newest items older than a moment with one indexed query; later
modules (activities, deals, orders, tickets) register theirs the same way.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import timeline
from guanxi.core.timeline import TimelineItem, TimelineSource
from guanxi.customers.models import Account, Consent, Contact, OwnershipPeriod, PointsEntry


def _contacts_of(account: Account, user):
    """Return the pks of the account's contacts (main or linked) the user may view."""
    return (
        Contact.objects.visible_to(user, "view")
        .filter(Q(account=account) | Q(account_links__account=account))
        .values("pk")
    )


def contact_changes(account, user, before, limit):
    """Return the change history of the account's contacts as timeline items."""
    return timeline.change_items(
        "contact",
        _contacts_of(account, user),
        before,
        limit,
        user=user,
        kind="contact",
        title_of=lambda entry: (
            _("Contact %(name)s: %(action)s")
            % {"name": entry.object_repr, "action": entry.get_action_display()}
        ),
    )


def ownership_changes(account, user, before, limit):
    """Return when owners took the account and when they gave it up."""
    periods = OwnershipPeriod.objects.filter(account=account).select_related(
        "owner", "started_by", "ended_by", "pool"
    )
    starts = periods.filter(started_at__lt=before) if before else periods
    ends = periods.filter(ended_at__isnull=False)
    ends = ends.filter(ended_at__lt=before) if before else ends
    items = [
        TimelineItem(
            at=period.started_at,
            kind="ownership",
            title=_("%(owner)s became the owner: %(how)s")
            % {"owner": period.owner, "how": period.get_start_display()},
            body=period.reason,
            actor_id=period.started_by_id,
            actor_name=str(period.started_by or ""),
        )
        for period in starts.order_by("-started_at")[:limit]
    ]
    items += [
        TimelineItem(
            at=period.ended_at,
            kind="ownership",
            title=_("%(owner)s is no longer the owner: %(how)s")
            % {"owner": period.owner, "how": period.get_end_display()},
            body=period.reason,
            actor_id=period.ended_by_id,
            actor_name=str(period.ended_by or ""),
        )
        for period in ends.order_by("-ended_at")[:limit]
    ]
    return items


def consent_changes(account, user, before, limit):
    """Return consents and opt-outs recorded for the account and its contacts."""
    consents = Consent.objects.filter(
        Q(account=account) | Q(contact__in=_contacts_of(account, user))
    ).select_related("contact", "actor")
    if before:
        consents = consents.filter(recorded_at__lt=before)
    return [
        TimelineItem(
            at=consent.recorded_at,
            kind="consent",
            title=_("%(person)s · %(channel)s: %(status)s")
            % {
                "person": consent.contact or account,
                "channel": consent.get_channel_display(),
                "status": consent.get_status_display(),
            },
            body=" · ".join(part for part in (consent.get_source_display(), consent.note) if part),
            actor_id=consent.actor_id,
            actor_name=str(consent.actor or ""),
            url=reverse("web:contact_detail", args=[consent.contact_id]) + "?tab=privacy"
            if consent.contact_id
            else "",
        )
        for consent in consents.order_by("-recorded_at")[:limit]
    ]


def points_changes(account, user, before, limit):
    """Return the account's points ledger: earned, redeemed, adjusted, expired."""
    entries = PointsEntry.objects.filter(account=account).select_related("actor")
    if before:
        entries = entries.filter(created_at__lt=before)
    return [
        TimelineItem(
            at=entry.created_at,
            kind="points",
            title=_("%(kind)s %(points)+d points, balance %(balance)s")
            % {
                "kind": entry.get_kind_display(),
                "points": entry.points,
                "balance": entry.balance_after,
            },
            body=entry.reason,
            actor_id=entry.actor_id,
            actor_name=str(entry.actor or ""),
            url=reverse("web:account_detail", args=[account.pk]) + "?tab=points",
        )
        for entry in entries.order_by("-created_at", "-id")[:limit]
    ]


timeline.register(
    "account",
    TimelineSource(
        kind="contact",
        label=gettext_lazy("Contacts"),
        icon="address-book",
        items=contact_changes,
    ),
)
timeline.register(
    "account",
    TimelineSource(
        kind="ownership",
        label=gettext_lazy("Ownership"),
        icon="user-share",
        items=ownership_changes,
    ),
)
timeline.register(
    "account",
    TimelineSource(kind="points", label=gettext_lazy("Points"), icon="coin", items=points_changes),
)
timeline.register(
    "account",
    TimelineSource(
        kind="consent", label=gettext_lazy("Consent"), icon="shield-check", items=consent_changes
    ),
)
