"""The automation engine: from domain events and time to rule runs and their actions.

Events reach `event_received` after the user's save committed; when an active rule
listens to that entity and kind of event, the event goes to the task worker
(`handle_event`), which evaluates each rule's trigger and conditions on the record and
records a run: skipped by the conditions, or queued and then executed. Actions run in
order, each in its own transaction; a failing one leaves the run waiting to retry with
backoff (1 min, 5 min, 30 min, 2 h), then failed, and never touches the save that
triggered it. A run is unique per rule and cause (the event's id, the date reached …),
so handling a cause twice runs a rule once.

Loops: while a run's actions write, `events.cause` carries the chain of runs that led
to the writes, so the events they emit remember it. A rule never runs again on a record
its own chain already changed, and no chain goes deeper than `MAX_DEPTH` runs (refused
with an error in the run and the log).
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import customfields, events, registry
from guanxi.workflow import actions, conditions
from guanxi.workflow.automation_models import AutomationRule, AutomationRun, RunStatus, TriggerKind

logger = logging.getLogger(__name__)

MAX_DEPTH = 5
RETRY_DELAYS = (60, 300, 1800, 7200)
INDEX_VERSION_KEY = "automation:rules:version"
BATCH = 500
# Which event verbs each trigger kind listens to.
VERB_KINDS: dict[str, set[str]] = {
    "created": {TriggerKind.CREATED, TriggerKind.FIELD_CHANGED, TriggerKind.STILL_MATCHING},
    "updated": {TriggerKind.UPDATED, TriggerKind.FIELD_CHANGED, TriggerKind.STILL_MATCHING},
    "stage_changed": {TriggerKind.STAGE_ENTERED},
}
STILL_MATCHING_HANDLER = "automation.still_matching"
FIELDS_TTL = 300


@dataclass
class RuleSpec:
    """What the engine needs of an active rule, kept in memory between events."""

    id: int
    entity: str
    trigger: str
    params: dict[str, Any]
    conditions: dict[str, Any]
    related: tuple[str, ...] = field(default_factory=tuple)
    log_skipped: bool = False


# --- The index of active rules -------------------------------------------------------------

_local: dict[str, Any] = {"version": None, "index": {}, "built": 0.0}
INDEX_TTL = 300


def rules_changed() -> None:
    """Forget the index of active rules: processes sharing the cache reload it on next use.

    With the embedded per-process cache, other processes reload it within `INDEX_TTL`.
    """
    cache.set(INDEX_VERSION_KEY, uuid.uuid4().hex, None)
    _local["version"] = None


def rule_index() -> dict[str, list[RuleSpec]]:
    """Return the active rules by entity, in their order; one cache read when unchanged."""
    version = cache.get(INDEX_VERSION_KEY) or "initial"
    if _local["version"] == version and time.monotonic() - _local["built"] < INDEX_TTL:
        return _local["index"]
    index: dict[str, list[RuleSpec]] = {}
    for rule in AutomationRule.objects.filter(is_active=True).order_by("order", "id"):
        related = sorted(
            {key.split(".")[0] for key in conditions.fields_used(rule.conditions) if "." in key}
            - {"custom"}
        )
        index.setdefault(rule.entity, []).append(
            RuleSpec(
                id=rule.pk,
                entity=rule.entity,
                trigger=rule.trigger,
                params=rule.trigger_params or {},
                conditions=rule.conditions or {},
                related=tuple(related),
                log_skipped=rule.log_skipped,
            )
        )
    _local.update(version=version, index=index, rules={}, fields={}, built=time.monotonic())
    return index


def rules_for_event(name: str, payload: dict[str, Any]) -> tuple[str, str, list[RuleSpec]]:
    entity_name, _dot, verb = name.rpartition(".")
    entity_name = payload.get("entity") or entity_name
    kinds = VERB_KINDS.get(verb)
    if not kinds:
        return entity_name, verb, []
    found = [rule for rule in rule_index().get(entity_name, ()) if rule.trigger in kinds]
    return entity_name, verb, found


# --- Events --------------------------------------------------------------------------------


def event_received(event: events.Event) -> None:
    """Send an event to the task worker when an active rule may care about it (cheap)."""
    if event.payload.get("id") is None:
        return
    _entity, _verb, rules = rules_for_event(event.name, event.payload)
    if not rules:
        return
    from guanxi.workflow.automation_tasks import automation_event

    automation_event(event.id, event.name, _jsonable(event.payload), event.cause or {})


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


def _trigger_holds(rule: RuleSpec, verb: str, payload: dict[str, Any], memo: dict) -> bool:
    if rule.trigger == TriggerKind.CREATED:
        return verb == "created"
    if rule.trigger == TriggerKind.UPDATED:
        return verb == "updated"
    if rule.trigger == TriggerKind.FIELD_CHANGED:
        tree = {"match": "all", "rules": [rule.params]}
        return _matches(rule.entity, tree, _NO_RECORD, payload.get("changes"), memo)
    if rule.trigger == TriggerKind.STAGE_ENTERED:
        stages = rule.params.get("stages") or []
        return not stages or payload.get("to") in stages
    return rule.trigger == TriggerKind.STILL_MATCHING


def _matches(entity_name, tree, record, changes=None, memo=None) -> bool:
    """`conditions.matches` with the entity's fields read once, not per rule and record."""
    if not tree or not tree.get("rules"):
        return True
    return conditions._matches(fields_of(entity_name, memo), tree, record, changes or {})


def fields_of(entity_name: str, memo: dict | None = None) -> dict[str, conditions.FieldSpec]:
    """Return the condition fields of an entity, kept with the rule index for a while.

    Saving a rule renews the index (a rule using a new custom field sees it); otherwise a
    field definition change reaches the engine within `FIELDS_TTL` seconds.
    """
    if memo is not None and entity_name in memo:
        return memo[entity_name]
    kept = _local.setdefault("fields", {})
    found = kept.get(entity_name)
    if found is None or time.monotonic() - found[0] > FIELDS_TTL:
        found = (time.monotonic(), conditions.fields_for(entity_name))
        kept[entity_name] = found
    if memo is not None:
        memo[entity_name] = found[1]
    return found[1]


class _NoRecord:
    """Stands for the record where only the change is compared."""

    _meta = None


_NO_RECORD: Any = _NoRecord()


def load_record(entity_name: str, record_id: int, related: set[str] | tuple[str, ...] = ()):
    entity = registry.find(entity_name)
    if entity is None:
        return None
    queryset = entity.model.objects.all()
    if related:
        queryset = queryset.select_related(*related)
    return queryset.filter(pk=record_id).first()


def handle_event(
    event_id: str, name: str, payload: dict[str, Any], cause: dict[str, Any] | None = None
) -> int:
    """Run the rules an event triggers on its record; return how many runs were recorded."""
    token = customfields.memo_for_request()
    try:
        # No transaction around the whole event: an action may wait on the network (a
        # webhook), and on SQLite an open write transaction would hold up every other
        # writer meanwhile. Each action commits on its own; the runs are inserted as the
        # claim, and a run whose worker died is taken up again (`runs_release_stuck`).
        return _handle_event(event_id, name, payload, cause or {}, {})
    finally:
        customfields.memo_end(token)


def _handle_event(event_id, name, payload, cause, memo) -> int:
    entity_name, verb, rules = rules_for_event(name, payload)
    rules = [rule for rule in rules if _trigger_holds(rule, verb, payload, memo)]
    if not rules:
        return 0
    related = {name for rule in rules for name in rule.related}
    record = load_record(entity_name, payload["id"], related)
    if record is None:
        return 0
    depth = int(cause.get("depth", 0))
    chain = list(cause.get("chain", []))
    changes = payload.get("changes") or {}
    event = {"id": event_id, "name": name, "payload": payload}
    # A skipped run keeps what the event was, not its whole payload (they are many).
    brief = {"id": event_id, "name": name}
    new_runs = []
    counters = Counters()
    # A cause handled before is refused by the runs' unique (rule, cause) on insert; no
    # query asks first (only the count of an unlogged skip is added again then).
    holding = [rule for rule in rules if rule.trigger == TriggerKind.STILL_MATCHING]
    if holding:
        _hold_all(holding, record, memo)
    for rule in rules:
        if rule.trigger == TriggerKind.STILL_MATCHING:
            continue
        link = _link(rule.id, entity_name, record.pk)
        status, error, shown = RunStatus.QUEUED, "", event
        if link in chain:
            status = RunStatus.SKIPPED
            error = _(
                "Not run: this rule's own actions changed the record (a rule does not "
                "trigger itself again)."
            )
            logger.info("Automation rule %s not re-triggered by itself on %s", rule.id, link)
        elif not _matches(entity_name, rule.conditions, record, changes, memo):
            if not rule.log_skipped:
                counters.add(rule.id, RunStatus.SKIPPED, 0)
                continue
            status, shown = RunStatus.SKIPPED, brief
        elif depth >= MAX_DEPTH:
            status = RunStatus.FAILED
            error = _(
                "Stopped: %(depth)s rule runs already led to this change; rules may chain "
                "at most %(limit)s deep. Check the rules for a loop: %(chain)s"
            ) % {"depth": depth, "limit": MAX_DEPTH, "chain": " → ".join(chain)}
            logger.error("Automation loop stopped at depth %s: %s", depth, " → ".join(chain))
        new_runs.append(
            AutomationRun(
                rule_id=rule.id,
                entity=entity_name,
                record_id=record.pk,
                dedupe_key=event_id,
                trigger=rule.trigger,
                event=shown,
                depth=depth,
                chain=chain,
                status=status,
                error=error,
            )
        )
    recorded = _record_and_execute(new_runs, record, counters)
    counters.flush()
    return recorded


def _link(rule_id: int, entity_name: str, record_id: int) -> str:
    return f"{rule_id}:{entity_name}:{record_id}"


def _record_and_execute(
    new_runs: list[AutomationRun], record=None, counters: Counters | None = None
) -> int:
    """Insert runs, execute the ones whose conditions held, count the outcomes.

    Runs are inserted already claimed (running): the unique (rule, cause) makes the insert
    the claim. When another worker inserted one of the causes meanwhile, the insert falls
    back to one row at a time and leaves theirs alone.
    """
    if not new_runs:
        return 0
    outer = counters
    counters = counters if counters is not None else Counters()
    now = timezone.now()
    for run in new_runs:
        if run.status == RunStatus.QUEUED:
            run.status, run.attempts, run.started_at = RunStatus.RUNNING, 1, now
        else:
            run.finished_at = now
    inserted = _insert(new_runs)
    for run in inserted:
        if run.status in (RunStatus.SKIPPED, RunStatus.FAILED):
            counters.add(run.rule_id, run.status, 0)
    running = [run for run in inserted if run.status == RunStatus.RUNNING]
    if running:
        rules = _rules_by_id({run.rule_id for run in running})
        for run in running:
            run.rule = rules[run.rule_id]
            _execute(run, record, counters)
    if outer is None:
        counters.flush()
    return len(inserted)


def _insert(runs: list[AutomationRun]) -> list[AutomationRun]:
    """Insert runs and return the ones inserted (a cause handled before is left out)."""
    if connection.vendor in ("postgresql", "sqlite"):
        return _insert_returning(runs)
    inserted = []
    for run in runs:
        try:
            with transaction.atomic():
                run.save(force_insert=True)
        except IntegrityError:
            continue
        inserted.append(run)
    return inserted


def _insert_returning(runs: list[AutomationRun]) -> list[AutomationRun]:
    """One INSERT … ON CONFLICT DO NOTHING RETURNING: no savepoint, no second query."""
    meta = AutomationRun._meta
    quote = connection.ops.quote_name
    now = timezone.now()
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    rows, params = [], []
    for run in runs:
        run.created_at = run.created_at or now
        rows.append("(" + ", ".join("%s" for _field in fields) + ")")
        params += [
            field.get_db_prep_save(getattr(run, field.attname), connection) for field in fields
        ]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join(rows)} ON CONFLICT DO NOTHING RETURNING id, rule_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = {rule_id: pk for pk, rule_id in cursor.fetchall()}
    inserted = []
    for run in runs:
        # Within one insert every run has its own rule (one event) or its own cause.
        pk = returned.get(run.rule_id)
        if pk is not None:
            run.pk = pk
            run._state.adding = False
            inserted.append(run)
    return inserted


def _rules_by_id(ids: set[int]) -> dict[int, AutomationRule]:
    """Return rules with their owner, cached with the rule index (changed on every save)."""
    cached = _local.setdefault("rules", {})
    missing = ids - cached.keys()
    if missing:
        cached.update(AutomationRule.objects.select_related("owner").in_bulk(missing))
    return {pk: cached[pk] for pk in ids}


class Counters:
    """Add runs' outcomes to their rules' counters with few UPDATEs."""

    COLUMNS = {
        RunStatus.DONE: "done_count",
        RunStatus.SKIPPED: "skipped_count",
        RunStatus.FAILED: "failed_count",
    }

    def __init__(self):
        self.by_rule: dict[int, dict[str, int]] = {}

    def add(self, rule_id: int, status: str, duration_ms: int) -> None:
        column = self.COLUMNS.get(status)
        if column is None:
            return
        counts = self.by_rule.setdefault(rule_id, {})
        counts[column] = counts.get(column, 0) + 1
        if status != RunStatus.SKIPPED:
            counts["duration_total_ms"] = counts.get("duration_total_ms", 0) + duration_ms

    def flush(self) -> None:
        """Write every rule's new counts in one UPDATE (a CASE per column).

        Plain SQL: the ORM takes longer to build this statement than the database takes
        to run it, and it runs once per event.
        """
        if not self.by_rule:
            return
        table = connection.ops.quote_name(AutomationRule._meta.db_table)
        columns = sorted({column for counts in self.by_rule.values() for column in counts})
        rule_ids = sorted(self.by_rule)
        parts, params = [], []
        for column in columns:
            cases = " ".join("WHEN %s THEN %s" for _rule in rule_ids)
            name = connection.ops.quote_name(column)
            parts.append(f"{name} = {name} + CASE id {cases} ELSE 0 END")
            for rule_id in rule_ids:
                params += [rule_id, self.by_rule[rule_id].get(column, 0)]
        parts.append(f"{connection.ops.quote_name('last_run_at')} = %s")
        params.append(timezone.now())
        holes = ", ".join("%s" for _rule in rule_ids)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {', '.join(parts)} WHERE id IN ({holes})",
                [*params, *rule_ids],
            )
        self.by_rule = {}


# --- Executing a run -----------------------------------------------------------------------


def _claim(run_id: int, now: datetime.datetime) -> bool:
    due = Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RETRYING, next_attempt_at__lte=now)
    return (
        AutomationRun.objects.filter(due, pk=run_id).update(
            status=RunStatus.RUNNING, attempts=F("attempts") + 1, started_at=now
        )
        == 1
    )


def run_execute(run_id: int, *, record=None, now: datetime.datetime | None = None) -> bool:
    """Do a queued or due run's actions if this worker claims it; tell whether it ran."""
    now = now or timezone.now()
    if not _claim(run_id, now):
        return False
    run = AutomationRun.objects.select_related("rule", "rule__owner").get(pk=run_id)
    counters = Counters()
    _execute(run, record, counters)
    counters.flush()
    return True


def _execute(run: AutomationRun, record, counters: Counters) -> None:
    rule = run.rule
    if record is None or record.pk != run.record_id:
        record = load_record(run.entity, run.record_id)
    started = time.monotonic()
    if record is None:
        _finish(run, started, counters, error=_("The record no longer exists."), retry=False)
        return
    specs = list(rule.actions or [])
    results = run.results if len(run.results or []) == len(specs) else []
    results = results or [{"type": spec.get("type"), "status": "pending"} for spec in specs]
    chain = [*run.chain, _link(rule.pk, run.entity, run.record_id)]
    token = events.cause.set({"depth": run.depth + 1, "chain": chain, "rule": rule.pk})
    error, retry, wrote = "", False, False
    try:
        for number, spec in enumerate(specs):
            if results[number].get("status") == "done":
                continue
            if wrote:
                # The record may have changed; the next action reads it fresh.
                record.refresh_from_db()
            outcome = _run_action(rule, run, record, spec)
            wrote = True
            retry = outcome.pop("retry", False)
            results[number] = {"type": spec.get("type"), **outcome}
            if outcome["status"] != "done":
                error = _("Action %(n)s (%(action)s) failed: %(error)s") % {
                    "n": number + 1,
                    "action": _action_label(spec.get("type")),
                    "error": outcome["error"],
                }
                break
    finally:
        events.cause.reset(token)
    run.results = results
    _finish(run, started, counters, error=error, retry=retry)


def _action_label(key: Any) -> str:
    action = actions.get_action(str(key))
    return str(action.label) if action else str(key)


def _run_action(rule, run, record, spec: dict[str, Any]) -> dict[str, Any]:
    action = actions.get_action(str(spec.get("type")))
    if action is None:
        return {"status": "failed", "error": _("This action no longer exists."), "retry": False}
    context = actions.ActionContext(
        entity_name=run.entity,
        record=record,
        event=run.event,
        rule=rule,
        run=run,
        depth=run.depth,
        actor=rule.owner,
    )
    try:
        with transaction.atomic():
            text = action.run(context, spec.get("params") or {})
    except actions.ActionFailed as failure:
        return {"status": "failed", "error": str(failure), "retry": action.retry}
    except Exception as failure:  # an action's bug is shown in the run, not lost
        logger.exception("Automation action %s failed in run %s", action.key, run.pk)
        return {
            "status": "failed",
            "error": f"{type(failure).__name__}: {failure}",
            "retry": action.retry,
        }
    return {"status": "done", "result": str(text or "")}


def _finish(run: AutomationRun, started: float, counters: Counters, *, error: str, retry: bool):
    now = timezone.now()
    elapsed = round((time.monotonic() - started) * 1000)
    run.duration_ms = (run.duration_ms or 0) + elapsed if run.attempts > 1 else elapsed
    run.error = error[:4000]
    if not error:
        run.status, run.finished_at, run.next_attempt_at = RunStatus.DONE, now, None
    elif retry and run.attempts <= len(RETRY_DELAYS):
        run.status = RunStatus.RETRYING
        run.next_attempt_at = now + datetime.timedelta(seconds=RETRY_DELAYS[run.attempts - 1])
    else:
        run.status, run.finished_at, run.next_attempt_at = RunStatus.FAILED, now, None
        logger.warning("Automation run %s failed: %s", run.pk, error)
    _save_outcome(run)
    counters.add(run.rule_id, run.status, run.duration_ms)


_OUTCOME = ("status", "finished_at", "next_attempt_at", "duration_ms", "results", "error")


def _save_outcome(run: AutomationRun) -> None:
    """Write a run's outcome: one plain UPDATE (every matched run ends with one)."""
    meta = AutomationRun._meta
    quote = connection.ops.quote_name
    values = [
        meta.get_field(name).get_db_prep_save(getattr(run, name), connection) for name in _OUTCOME
    ]
    assignments = ", ".join(f"{quote(name)} = %s" for name in _OUTCOME)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE id = %s", [*values, run.pk]
        )


def runs_retry_due(now: datetime.datetime | None = None) -> int:
    """Execute the runs whose retry is due; return how many ran."""
    now = now or timezone.now()
    ran = 0
    while True:
        due = list(
            AutomationRun.objects.filter(status=RunStatus.RETRYING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not due:
            return ran
        for run_id in due:
            ran += run_execute(run_id, now=now)


SKIPPED_KEPT_DAYS = 30
# A run still "running" after this long lost its worker (a crash, a deploy): retry it.
STUCK_AFTER = datetime.timedelta(minutes=30)


def runs_release_stuck(now: datetime.datetime | None = None) -> int:
    """Queue again the runs whose worker stopped half-way; return how many."""
    now = now or timezone.now()
    return AutomationRun.objects.filter(
        status=RunStatus.RUNNING, started_at__lt=now - STUCK_AFTER
    ).update(
        status=RunStatus.RETRYING,
        next_attempt_at=now,
        error=_("The worker stopped during the run; it runs again."),
    )


def runs_purge(now: datetime.datetime | None = None) -> int:
    """Delete skipped runs older than `SKIPPED_KEPT_DAYS` (their counts stay on the rule)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=SKIPPED_KEPT_DAYS)
    deleted = 0
    while True:
        ids = list(
            AutomationRun.objects.filter(status=RunStatus.SKIPPED, created_at__lt=cutoff)
            .order_by("id")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return deleted
        deleted += AutomationRun.objects.filter(pk__in=ids).delete()[0]


def run_retry(*, run_ids: list[int]) -> int:
    """Queue failed runs again now (the monitor's retry); return how many."""
    failed = list(
        AutomationRun.objects.filter(pk__in=run_ids, status=RunStatus.FAILED).values_list(
            "pk", "rule_id"
        )
    )
    if not failed:
        return 0
    ids = [pk for pk, _rule in failed]
    count = AutomationRun.objects.filter(pk__in=ids, status=RunStatus.FAILED).update(
        status=RunStatus.RETRYING, next_attempt_at=timezone.now(), attempts=0, finished_at=None
    )
    by_rule: dict[int, int] = {}
    for _pk, rule_id in failed:
        by_rule[rule_id] = by_rule.get(rule_id, 0) + 1
    for rule_id, amount in by_rule.items():
        AutomationRule.objects.filter(pk=rule_id).update(
            failed_count=Greatest(F("failed_count") - amount, 0)
        )
    from guanxi.workflow.automation_tasks import automation_execute

    for pk in ids:
        automation_execute(pk)
    return count


# --- Still matching after N business hours -------------------------------------------------


def still_matching_key(rule_id: int, record_id: int) -> str:
    return f"automation:{rule_id}:{record_id}"


def _hold_all(rules: list[RuleSpec], record, memo: dict) -> None:
    """Start each rule's clock on a record that meets its conditions; stop it otherwise.

    One query finds the clocks already running, so a save that changes nothing about
    them costs nothing more.
    """
    from guanxi.workflow import timer_services
    from guanxi.workflow.timer_models import Timer, TimerStatus

    keys = {rule.id: still_matching_key(rule.id, record.pk) for rule in rules}
    running = set(
        Timer.objects.filter(key__in=keys.values(), status=TimerStatus.PENDING).values_list(
            "key", flat=True
        )
    )
    for rule in rules:
        key = keys[rule.id]
        holds = _matches(rule.entity, rule.conditions, record, memo=memo)
        if holds and key not in running:
            team = None
            if rule.params.get("team"):
                from guanxi.core.models import Team

                team = Team.objects.filter(pk=rule.params["team"]).first()
            timer_services.timer_start(
                key=key,
                handler=STILL_MATCHING_HANDLER,
                entity=rule.entity,
                record_id=record.pk,
                business_minutes=int(rule.params.get("hours") or 1) * 60,
                team=team,
                payload={"rule": rule.id},
                replace=False,
            )
        elif not holds and key in running:
            timer_services.timer_cancel(key)


def still_matching_fired(timer) -> None:
    """Act on a record that still meets a rule's conditions when its timer is due."""
    rule = AutomationRule.objects.filter(pk=timer.payload.get("rule"), is_active=True).first()
    if rule is None:
        return
    record = load_record(rule.entity, timer.record_id)
    if record is None:
        return
    run = AutomationRun(
        rule_id=rule.pk,
        entity=rule.entity,
        record_id=record.pk,
        dedupe_key=f"still:{timer.pk}:{timer.started_at:%Y%m%d%H%M%S}",
        trigger=rule.trigger,
        event={"name": "timer", "payload": {"key": timer.key, "due_at": str(timer.due_at)}},
    )
    if not conditions.matches(rule.entity, rule.conditions, record):
        run.status = RunStatus.SKIPPED
    _record_and_execute([run], record)
