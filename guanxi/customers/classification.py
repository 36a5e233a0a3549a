"""Classification rules (CUS-2): keep account classes by rules over metrics.

A metric is a number, choice or text known for each account. Account columns are read
with the batch itself; other metrics come from providers, each a function that takes a
batch of account ids and returns {account_id: value} in one query. Later modules plug in
by registering a provider, e.g. sales/commerce for "revenue in the last 12 months":

    classification.provide("revenue_12m", revenue_by_account)

A metric without a provider is 0 (numbers) or empty. Rules of one field are tried by
priority; the first whose conditions all hold sets the value, unless a user set that
field by hand on the account (`Account.classification_manual`). Accounts are classified
in primary-key batches: each batch reads its rows and metrics in a few queries, reads the
rows that change again under a row lock (so a value set by hand meanwhile is kept),
updates only them (one UPDATE per set of new values), and writes their change-history rows
in bulk, each naming the rule that made the change.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import events
from guanxi.core.choices import AuditAction
from guanxi.core.models import AuditEntry
from guanxi.customers.choices import (
    AccountKind,
    AccountType,
    ClassificationField,
    Grade,
    Industry,
    LifecycleStage,
    Loyalty,
    Operator,
    Relationship,
    Source,
    ValueClass,
)
from guanxi.customers.models import Account, ClassificationRule, MembershipLevel

BATCH_SIZE = 1000
RULES_CACHE_KEY = "guanxi:classification-rules"
NUMBER, CHOICE, TEXT = "number", "choice", "text"
FIELD_CHOICES = {
    ClassificationField.GRADE: Grade,
    ClassificationField.RELATIONSHIP: Relationship,
    ClassificationField.LOYALTY: Loyalty,
    ClassificationField.VALUE_CLASS: ValueClass,
    ClassificationField.LIFECYCLE_STAGE: LifecycleStage,
}
Provider = Callable[[list[int]], dict[int, Any]]


@dataclass
class Metric:
    """Describe one metric rules may test: its kind, label, choices and where it comes from."""

    key: str
    label: str | Promise
    kind: str = NUMBER
    column: str = ""  # an Account column read with the batch
    choices: Callable[[], Iterable[tuple[Any, Any]]] | None = None
    provider: Provider | None = None

    def empty(self) -> Any:
        return 0 if self.kind == NUMBER else ""


_metrics: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    """Make a metric available to classification rules."""
    _metrics[metric.key] = metric
    return metric


def provide(key: str, provider: Provider) -> None:
    """Give a registered metric the function that computes it for a batch of account ids."""
    _metrics[key].provider = provider


def metrics() -> list[Metric]:
    return list(_metrics.values())


def metric(key: str) -> Metric | None:
    return _metrics.get(key)


def _days_since_created(ids: list[int]) -> dict[int, Any]:
    today = timezone.now()
    rows = Account.objects.filter(pk__in=ids).values_list("pk", "created_at")
    return {pk: (today - created).days for pk, created in rows}


def _level_choices():
    return [(str(level.pk), level.display_name) for level in MembershipLevel.objects.all()]


for _metric in (
    Metric("annual_revenue", gettext_lazy("Annual revenue"), column="annual_revenue"),
    Metric("employees", gettext_lazy("Employees"), column="employees"),
    Metric(
        "account_type", gettext_lazy("Type"), CHOICE, "account_type", lambda: AccountType.choices
    ),
    Metric(
        "kind", gettext_lazy("Company or individual"), CHOICE, "kind", lambda: AccountKind.choices
    ),
    Metric("industry", gettext_lazy("Industry"), CHOICE, "industry", lambda: Industry.choices),
    Metric("source", gettext_lazy("Source"), CHOICE, "source", lambda: Source.choices),
    Metric("city", gettext_lazy("City"), TEXT, "city"),
    Metric("province", gettext_lazy("Province / state"), TEXT, "province"),
    Metric("points_balance", gettext_lazy("Points balance"), column="points_balance"),
    Metric("points_lifetime", gettext_lazy("Lifetime points"), column="points_lifetime"),
    Metric(
        "membership_level",
        gettext_lazy("Membership level"),
        CHOICE,
        "membership_level_id",
        _level_choices,
    ),
    Metric(
        "days_since_created",
        gettext_lazy("Days since created"),
        provider=_days_since_created,
    ),
    # Provided by sales/commerce once orders exist; 0 until then.
    Metric("revenue_12m", gettext_lazy("Revenue in the last 12 months")),
):
    register_metric(_metric)


# --- Conditions ---------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None


def condition_holds(kind: str, operator: str, actual: Any, expected: Any) -> bool:
    """Tell whether a metric's value meets one condition."""
    if operator == Operator.EMPTY:
        return actual in (None, "", 0) if kind == NUMBER else actual in (None, "")
    if operator == Operator.NOT_EMPTY:
        return not condition_holds(kind, Operator.EMPTY, actual, expected)
    if kind == NUMBER:
        left = _number(actual) if actual is not None else Decimal(0)
        right = _number(expected)
        if left is None or right is None:
            return False
        if operator == Operator.IN:
            return left in {_number(part) for part in str(expected).split(",")}
        return _compare(operator, left, right)
    left_text = "" if actual is None else str(actual).strip().casefold()
    if operator == Operator.IN:
        return left_text in {part.strip().casefold() for part in str(expected).split(",")}
    right_text = "" if expected is None else str(expected).strip().casefold()
    if operator in (Operator.EQ, Operator.NE):
        return _compare(operator, left_text, right_text)
    return False


def _compare(operator: str, left, right) -> bool:
    return {
        Operator.EQ: left == right,
        Operator.NE: left != right,
        Operator.GT: left > right,
        Operator.GTE: left >= right,
        Operator.LT: left < right,
        Operator.LTE: left <= right,
    }.get(operator, False)


def validate_conditions(conditions: Any) -> tuple[list[dict], list[str]]:
    """Return the conditions in their stored shape and a list of error messages."""
    if not isinstance(conditions, list):
        return [], [_("Conditions must be a list.")]
    cleaned, errors = [], []
    for index, condition in enumerate(conditions, start=1):
        if not isinstance(condition, dict):
            errors.append(_("Condition %(n)s is not valid.") % {"n": index})
            continue
        found = metric(str(condition.get("metric", "")))
        operator = str(condition.get("operator", ""))
        value = "" if condition.get("value") is None else str(condition.get("value")).strip()
        if found is None:
            errors.append(_("Condition %(n)s: choose a known metric.") % {"n": index})
            continue
        if operator not in Operator.values:
            errors.append(_("Condition %(n)s: choose a comparison.") % {"n": index})
            continue
        needs_value = operator not in (Operator.EMPTY, Operator.NOT_EMPTY)
        if needs_value and value == "":
            errors.append(_("Condition %(n)s: enter a value.") % {"n": index})
            continue
        if needs_value and found.kind == NUMBER and not _numbers_ok(operator, value):
            errors.append(_("Condition %(n)s: enter a number.") % {"n": index})
            continue
        if found.kind != NUMBER and operator in (
            Operator.GT,
            Operator.GTE,
            Operator.LT,
            Operator.LTE,
        ):
            errors.append(
                _("Condition %(n)s: this comparison needs a number metric.") % {"n": index}
            )
            continue
        cleaned.append({"metric": found.key, "operator": operator, "value": value})
    return cleaned, errors


def _numbers_ok(operator: str, value: str) -> bool:
    parts = value.split(",") if operator == Operator.IN else [value]
    return all(_number(part) is not None for part in parts)


def rule_matches(rule: ClassificationRule, values: dict[str, Any]) -> bool:
    """Tell whether an account's metric values meet every condition of the rule."""
    for condition in rule.conditions:
        found = metric(condition.get("metric", ""))
        if found is None:
            return False
        actual = values.get(found.key, found.empty())
        if not condition_holds(found.kind, condition["operator"], actual, condition.get("value")):
            return False
    return True


# --- Applying rules -------------------------------------------------------------------------


def active_rules(*, cached: bool = False) -> dict[str, list[ClassificationRule]]:
    """Return the active rules by field, in the order they are tried.

    `cached` serves the per-save re-classification from the cache (refreshed when a rule
    changes, and at most five minutes old in other processes); full runs read afresh.
    """
    if cached:
        rules = cache.get(RULES_CACHE_KEY)
        if rules is not None:
            return rules
    by_field: dict[str, list[ClassificationRule]] = defaultdict(list)
    for rule in ClassificationRule.objects.filter(active=True).order_by("field", "priority", "id"):
        by_field[rule.field].append(rule)
    rules = dict(by_field)
    cache.set(RULES_CACHE_KEY, rules, 300)
    return rules


def rules_changed() -> None:
    """Forget the cached rules after a rule was saved or deleted."""
    cache.delete(RULES_CACHE_KEY)


def rules_use(keys: Iterable[str]) -> bool:
    """Tell whether an active rule tests one of these metrics (cached)."""
    wanted = set(keys)
    return any(
        condition.get("metric") in wanted
        for group in active_rules(cached=True).values()
        for rule in group
        for condition in rule.conditions
    )


def _needed_metrics(rules: dict[str, list[ClassificationRule]]) -> list[Metric]:
    keys = {c.get("metric") for group in rules.values() for r in group for c in r.conditions}
    return [_metrics[key] for key in sorted(k for k in keys if k in _metrics)]


def _batch_values(rows: list[dict], needed: list[Metric]) -> dict[int, dict[str, Any]]:
    ids = [row["id"] for row in rows]
    values: dict[int, dict[str, Any]] = {row["id"]: {} for row in rows}
    for item in needed:
        if item.column:
            for row in rows:
                raw = row[item.column]
                values[row["id"]][item.key] = item.empty() if raw is None else raw
        elif item.provider is not None:
            provided = item.provider(ids)
            for pk in ids:
                values[pk][item.key] = provided.get(pk, item.empty())
    for row in rows:
        if "membership_level" in values[row["id"]]:
            level = values[row["id"]]["membership_level"]
            values[row["id"]]["membership_level"] = "" if level in (None, 0) else str(level)
    return values


def _decide(row: dict, values: dict[str, Any], rules) -> dict[str, tuple[Any, Any, str]]:
    """Return {field: (before, after, rule name)} for one account."""
    decided = {}
    manual = set(row["classification_manual"] or [])
    for field, group in rules.items():
        if field in manual:
            continue
        rule = next((r for r in group if rule_matches(r, values)), None)
        if rule is not None and row[field] != rule.value:
            decided[field] = (row[field], rule.value, rule.name)
    return decided


def _changes(rows: list[dict], rules, needed: list[Metric], batch: str):
    """Return the UPDATEs ({((field, value), …): ids}) and history rows the rules call for.

    Accounts with the same set of new values share one UPDATE, and each account is
    written once however many of its fields change.
    """
    values = _batch_values(rows, needed)
    updates: dict[tuple[tuple[str, str], ...], list[int]] = defaultdict(list)
    history = []
    for row in rows:
        decided = _decide(row, values[row["id"]], rules)
        if not decided:
            continue
        new_values = tuple(sorted((field, after) for field, (_b, after, _n) in decided.items()))
        updates[new_values].append(row["id"])
        names = sorted({name for _b, _a, name in decided.values()})
        history.append(
            AuditEntry(
                entity="account",
                object_id=row["id"],
                object_repr=row["name"][:200],
                action=AuditAction.UPDATE,
                changes={field: [before, after] for field, (before, after, _n) in decided.items()},
                batch=batch,
                rule=", ".join(names)[:200],
            )
        )
    return updates, history


def classify_batch(rows: list[dict], rules, needed: list[Metric], batch: str) -> int:
    """Apply the rules to one batch of account rows; return how many accounts changed.

    The rows that would change are read again under a row lock and decided afresh, so a
    value a user set by hand meanwhile is never overwritten by an older reading.
    """
    _updates, history = _changes(rows, rules, needed, batch)
    if not history:
        return 0
    columns = list(rows[0])
    now = timezone.now()
    with transaction.atomic():
        locked = list(
            Account.objects.select_for_update()
            .filter(pk__in=[entry.object_id for entry in history])
            .order_by("pk")
            .values(*columns)
        )
        updates, history = _changes(locked, rules, needed, batch)
        for new_values, ids in updates.items():
            # The version moves on so an edit form opened before this change is refused.
            Account.objects.filter(pk__in=ids).update(
                **dict(new_values), version=F("version") + 1, updated_at=now
            )
        AuditEntry.objects.bulk_create(history, batch_size=500)
        for entry in history:
            events.emit(
                "account.classified", entity="account", id=entry.object_id, changes=entry.changes
            )
    return len(history)


def classify_accounts(
    *, ids: Iterable[int] | None = None, progress=None, cached_rules: bool = False
) -> int:
    """Apply the active classification rules to the given accounts (or all); return changed."""
    rules = active_rules(cached=cached_rules)
    if not rules:
        return 0
    needed = _needed_metrics(rules)
    columns = sorted(
        {"id", "name", "classification_manual", *rules, *(m.column for m in needed if m.column)}
    )
    queryset = Account.objects.all()
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    batch = uuid.uuid4().hex
    changed = last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values(*columns)[:BATCH_SIZE])
        if not rows:
            return changed
        changed += classify_batch(rows, rules, needed, batch)
        last = rows[-1]["id"]
        if progress:
            progress(len(rows))
        if len(rows) < BATCH_SIZE:
            return changed


def mark_manual(account: Account, fields: Iterable[str]) -> None:
    """Remember that a user set these classification fields of the account by hand."""
    governed = set(ClassificationField.values)
    chosen = {field for field in fields if field in governed}
    if chosen:
        account.classification_manual = sorted(set(account.classification_manual or []) | chosen)


def hand_back(*, actor, account: Account, fields: Iterable[str]) -> int:
    """Let the rules keep classification fields a user had set by hand, and apply them now."""
    from guanxi.core.permissions import ensure_in_scope, require

    require(actor, "account", "edit")
    ensure_in_scope(actor, account, "edit")
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        manual = set(locked.classification_manual or []) - set(fields)
        Account.objects.filter(pk=locked.pk).update(classification_manual=sorted(manual))
        return classify_accounts(ids=[locked.pk])


def field_value_choices(field: str) -> list[tuple[str, str]]:
    choices = FIELD_CHOICES.get(field)
    return list(choices.choices) if choices else []


def describe_condition(condition: dict) -> str:
    """Return a condition as a sentence in the active language, e.g. "Annual revenue ≥ 1000"."""
    found = metric(condition.get("metric", ""))
    if found is None:
        return str(condition.get("metric", ""))
    operator = dict(Operator.choices).get(condition.get("operator"), condition.get("operator"))
    value = condition.get("value", "")
    if found.choices and value:
        labels = {str(k): str(v) for k, v in found.choices()}
        value = ", ".join(labels.get(part.strip(), part.strip()) for part in str(value).split(","))
    return f"{found.label} {operator} {value}".strip()
