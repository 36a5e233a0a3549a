"""Lead scoring (线索评分): points by field values, by activities and by the lead's replies."""

from __future__ import annotations

from django.db.models import Q

from guanxi.sales.models import Lead, LeadScoringRule
from guanxi.sales.models.lead_rules import ScoringKind


def active_rules() -> list[LeadScoringRule]:
    return list(LeadScoringRule.objects.filter(is_active=True).order_by("pk"))


def _field_holds(rule: LeadScoringRule, lead: Lead) -> bool:
    if rule.field == "has_email":
        return bool(lead.email)
    if rule.field == "has_mobile":
        return bool(lead.mobile)
    if rule.field == "has_company":
        return bool(lead.company)
    value = str(getattr(lead, rule.field, "") or "").strip().lower()
    return bool(value) and value == rule.value.strip().lower()


def _activity_kinds(lead: Lead) -> set[str]:
    from guanxi.activities.choices import ActivityStatus
    from guanxi.activities.models import Activity

    return set(
        Activity.objects.filter(link_entity="lead", link_id=lead.pk, status=ActivityStatus.DONE)
        .values_list("kind", flat=True)
        .distinct()
    )


def lead_replied(lead: Lead) -> bool:
    """Tell whether an email or SMS came in from the lead (filed on it, or from its address)."""
    from guanxi.activities.choices import MessageDirection
    from guanxi.activities.models import Message

    senders = Q(link_entity="lead", link_id=lead.pk)
    if lead.email:
        senders |= Q(from_address__iexact=lead.email)
    for number in {lead.mobile, lead.mobile_e164} - {""}:
        senders |= Q(from_address=number)
    return Message.objects.filter(senders, direction=MessageDirection.INBOUND).exists()


def score_of(lead: Lead, rules: list[LeadScoringRule] | None = None) -> int:
    """Return the lead's score: the sum of the points of every rule that holds (once each)."""
    rules = active_rules() if rules is None else rules
    total = 0
    kinds = None
    replied = None
    for rule in rules:
        if rule.kind == ScoringKind.FIELD and _field_holds(rule, lead):
            total += rule.points
        elif rule.kind == ScoringKind.ACTIVITY:
            kinds = _activity_kinds(lead) if kinds is None else kinds
            total += rule.points if rule.activity_kind in kinds else 0
        elif rule.kind == ScoringKind.REPLY:
            replied = lead_replied(lead) if replied is None else replied
            total += rule.points if replied else 0
    return total


def lead_rescore(lead: Lead, rules: list[LeadScoringRule] | None = None) -> int:
    """Recompute and store a lead's score; return it. The score is derived: no history row."""
    score = score_of(lead, rules)
    if score != lead.score:
        Lead.objects.filter(pk=lead.pk).update(score=score)
        lead.score = score
    return score


def leads_rescore_all(progress=None) -> int:
    """Recompute every open lead's score after the rules changed; return how many changed."""
    rules = active_rules()
    changed = 0
    last = 0
    while True:
        chunk = list(
            Lead.objects.filter(pk__gt=last).exclude(status="converted").order_by("pk")[:500]
        )
        if not chunk:
            return changed
        for lead in chunk:
            before = lead.score
            if lead_rescore(lead, rules) != before:
                changed += 1
        last = chunk[-1].pk
        if progress is not None:
            progress(len(chunk))
