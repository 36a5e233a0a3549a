"""Reads of telesales call lists: the record card of the call screen and call statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from guanxi.activities.models import Activity
from guanxi.core import privacy
from guanxi.core.choices import Action, Scope
from guanxi.core.models import User
from guanxi.core.permissions import colleague_ids, user_scope
from guanxi.sales.calllist_choices import EntryStatus
from guanxi.sales.competitor_period import ReportScope
from guanxi.sales.models import CallAttempt, CallList, CallListEntry, CallOutcome

# The numbers a record may be called on, by entity, in the order they are offered.
PHONE_FIELDS = {
    "lead": (("mobile", "mobile_e164"), ("phone", "phone_e164")),
    "contact": (("mobile", "mobile_e164"), ("phone", "phone_e164")),
    "account": (("phone", "phone_e164"),),
}
RECENT_ACTIVITIES = 5


def outcomes() -> list[CallOutcome]:
    """Return the active outcome codes in their order."""
    return list(CallOutcome.objects.filter(is_active=True).order_by("position", "id"))


def entry_counts(call_list: CallList, user: User | None = None) -> dict[str, int]:
    """Return the number of a list's entries per status (of one rep when given)."""
    entries = CallListEntry.objects.filter(call_list=call_list)
    if user is not None:
        entries = entries.filter(assigned_to=user)
    counts = {status: 0 for status in EntryStatus.values}
    for row in entries.values("status").annotate(count=Count("pk")).order_by():
        counts[row["status"]] = row["count"]
    counts["total"] = sum(counts.values())
    counts["open"] = counts["pending"] + counts["called"] + counts["callback"]
    return counts


def record_card(call_list: CallList, entry: CallListEntry, record, user: User) -> dict:
    """Return what the call screen shows of a record: names, numbers to dial, activities.

    Users whose roles mask personal data see 138****1234 and dial through the server,
    which hands the number to the phone without printing it on the page.
    """
    mask = privacy.masks_personal_data(user)
    phones = []
    for raw_field, e164_field in PHONE_FIELDS[call_list.entity]:
        raw = getattr(record, raw_field, "") if record is not None else ""
        if not raw:
            continue
        number = getattr(record, e164_field, "") or raw
        dial = reverse("web:calllist_dial", args=[call_list.pk, entry.pk, raw_field])
        phones.append(
            {
                "field": raw_field,
                "label": record._meta.get_field(raw_field).verbose_name,
                "shown": privacy.mask_phone(raw) if mask else raw,
                "href": dial if mask else f"tel:{number}",
            }
        )
    email = getattr(record, "email", "") if record is not None else ""
    activities = []
    if record is not None:
        activities = list(
            Activity.objects.visible_to(user, Action.VIEW)
            .filter(link_entity=call_list.entity, link_id=record.pk)
            .select_related("owner")
            .order_by("-occurs_at")[:RECENT_ACTIVITIES]
        )
    return {
        "record": record,
        "title": getattr(record, "name", str(record)) if record is not None else "",
        "subtitle": _subtitle(call_list.entity, record),
        "phones": phones,
        "email": privacy.mask_email(email) if mask and email else email,
        "activities": activities,
    }


def dial_number(call_list: CallList, record, field_name: str) -> str:
    """Return the number behind a dial link, or "" for a field that is not a phone."""
    for raw_field, e164_field in PHONE_FIELDS[call_list.entity]:
        if raw_field == field_name and record is not None:
            return getattr(record, e164_field, "") or getattr(record, raw_field, "")
    return ""


def _subtitle(entity: str, record) -> str:
    if record is None:
        return ""
    if entity == "lead":
        return " · ".join(part for part in (record.company, record.title) if part)
    if entity == "contact":
        account = getattr(record, "account", None)
        return " · ".join(part for part in (str(account or ""), record.title) if part)
    return record.get_account_type_display()


@dataclass
class RepCallFigures:
    """Hold one rep's calls over a period: made, connected, outcomes and callbacks."""

    rep_id: int
    name: str
    calls: int = 0
    connected: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    callbacks_scheduled: int = 0
    callbacks_kept: int = 0
    callbacks_missed: int = 0

    @property
    def connect_rate(self) -> Decimal | None:
        if not self.calls:
            return None
        return (Decimal(self.connected) * 100 / self.calls).quantize(Decimal("0.1"))

    @property
    def kept_rate(self) -> Decimal | None:
        settled = self.callbacks_kept + self.callbacks_missed
        if not settled:
            return None
        return (Decimal(self.callbacks_kept) * 100 / settled).quantize(Decimal("0.1"))


def calls_visible_to(user: User) -> QuerySet[CallAttempt]:
    """Return the calls the user may count, by the data scope of call lists over the rep.

    A rep with "own" scope counts their own calls, a manager those of their department.
    """
    scope = user_scope(user, "calllist", Action.VIEW)
    calls = CallAttempt.objects.all()
    if scope is None:
        return calls.none()
    if scope == Scope.ALL:
        return calls
    if scope == Scope.OWN:
        return calls.filter(rep=user)
    return calls.filter(rep_id__in=colleague_ids(user, scope))


def call_statistics(
    user: User, scope: ReportScope, call_list: CallList | None = None
) -> list[RepCallFigures]:
    """Return per rep the calls made, connected, by outcome and callbacks kept (4 queries).

    Calls count in the period they were made; callbacks in the period they were due.
    """
    calls = scope.owned(calls_visible_to(user), owner_field="rep")
    if call_list is not None:
        calls = calls.filter(call_list=call_list)
    figures: dict[int, RepCallFigures] = {}

    def rep(pk: int) -> RepCallFigures:
        return figures.setdefault(pk, RepCallFigures(rep_id=pk, name=""))

    made = calls.filter(scope.period_q("called_at"))
    for row in (
        made.values("rep_id")
        .annotate(calls=Count("pk"), connected=Count("pk", filter=Q(is_connected=True)))
        .order_by()
    ):
        rep(row["rep_id"]).calls, rep(row["rep_id"]).connected = row["calls"], row["connected"]
    for row in made.values("rep_id", "outcome__code").annotate(count=Count("pk")).order_by():
        rep(row["rep_id"]).outcomes[row["outcome__code"]] = row["count"]
    callbacks = calls.filter(scope.period_q("callback_at"), callback_at__isnull=False)
    for row in (
        callbacks.values("rep_id")
        .annotate(
            scheduled=Count("pk"),
            kept=Count("pk", filter=Q(callback_kept=True)),
            missed=Count("pk", filter=Q(callback_kept=False)),
        )
        .order_by()
    ):
        item = rep(row["rep_id"])
        item.callbacks_scheduled, item.callbacks_kept = row["scheduled"], row["kept"]
        item.callbacks_missed = row["missed"]
    figures.pop(None, None)  # type: ignore[call-overload]  (calls of deleted users)
    for pk, username in User.objects.filter(pk__in=figures).values_list("pk", "username"):
        figures[pk].name = username
    return sorted(figures.values(), key=lambda item: (-item.calls, item.name))
