"""What merging customers or contacts needs beyond moving their related rows (CUS-5).

Moving rows as they are would break two rules of this app: a contact is linked to a
customer at most once (and never to its main customer), and a customer has one open
ownership period. Consents move too, and only the newest per channel stays current; points
entries move and the survivor's balance and level become those of its whole ledger.
"""

from __future__ import annotations

from django.db.models import Q, Sum
from django.utils import timezone

from guanxi.core.dedupe.merge import register_merge_step
from guanxi.customers import points
from guanxi.customers.choices import OwnershipEnd, PointsKind
from guanxi.customers.models import (
    Account,
    AccountContact,
    Consent,
    Contact,
    OwnershipPeriod,
    PointsEntry,
)


def _drop_colliding_links(links, *, key: str, taken: set[int]) -> None:
    """Delete links whose other end is taken already or repeats among the moving links."""
    seen = set(taken)
    doomed = []
    for link_id, other in links.values_list("pk", key).order_by("pk"):
        if other in seen:
            doomed.append(link_id)
        seen.add(other)
    AccountContact.objects.filter(pk__in=doomed).delete()


def accounts_before_merge(*, survivor, duplicate_ids: list[int], actor) -> None:
    """Drop contact links the merge would double and close the duplicates' ownership."""
    merged_ids = [survivor.pk, *duplicate_ids]
    taken = set(
        AccountContact.objects.filter(account=survivor).values_list("contact_id", flat=True)
    )
    # Contacts whose main customer is one of the merged records end up at the survivor.
    taken |= set(Contact.objects.filter(account_id__in=merged_ids).values_list("pk", flat=True))
    _drop_colliding_links(
        AccountContact.objects.filter(account_id__in=duplicate_ids), key="contact_id", taken=taken
    )
    OwnershipPeriod.objects.filter(account_id__in=duplicate_ids, ended_at__isnull=True).update(
        ended_at=timezone.now(), end=OwnershipEnd.MERGED, ended_by=actor
    )


def contacts_before_merge(*, survivor, duplicate_ids: list[int], actor) -> None:
    """Drop the duplicates' links to customers the survivor already belongs to."""
    taken = set(
        AccountContact.objects.filter(contact=survivor).values_list("account_id", flat=True)
    )
    taken.add(survivor.account_id)  # the chosen main customer, maybe a duplicate's
    _drop_colliding_links(
        AccountContact.objects.filter(contact_id__in=duplicate_ids), key="account_id", taken=taken
    )
    AccountContact.objects.filter(contact=survivor, account_id=survivor.account_id).delete()


def _newest_consent_current(whose: Q) -> None:
    consents = Consent.objects.filter(whose)
    for channel in consents.values_list("channel", flat=True).distinct():
        rows = consents.filter(channel=channel)
        newest = rows.order_by("-recorded_at", "-id").first()
        rows.exclude(pk=newest.pk).filter(current=True).update(current=False)
        rows.filter(pk=newest.pk).update(current=True)


def _points_recompute(survivor) -> None:
    """Give the survivor the balance and level of the ledger it now holds (its own + moved)."""
    totals = PointsEntry.objects.filter(account=survivor).aggregate(
        balance=Sum("points"),
        lifetime=Sum("points", filter=Q(kind__in=[PointsKind.EARN, PointsKind.ADJUST])),
    )
    balance, lifetime = totals["balance"] or 0, totals["lifetime"] or 0
    level = points.level_for(lifetime)
    Account.objects.filter(pk=survivor.pk).update(
        points_balance=balance, points_lifetime=lifetime, membership_level=level
    )
    survivor.points_balance, survivor.points_lifetime = balance, lifetime
    survivor.membership_level = level


def accounts_after_merge(*, survivor, duplicate_ids: list[int], actor) -> None:
    _newest_consent_current(Q(account=survivor))
    _points_recompute(survivor)


def contacts_after_merge(*, survivor, duplicate_ids: list[int], actor) -> None:
    _newest_consent_current(Q(contact=survivor))


register_merge_step("account", before=accounts_before_merge, after=accounts_after_merge)
register_merge_step("contact", before=contacts_before_merge, after=contacts_after_merge)
