"""Time the automation engine: 100 active rules evaluated against 10,000 record changes.

    python bench/bench_automation.py [--events 10000] [--rules 100]

It makes its own data (2,000 customers, 3,000 contacts, 1,000 deals, prefix 压测自动化),
100 active rules over customers, contacts and deals (created / updated / a field changed
to a value / a deal entering a stage / still matching after business hours; conditions
with and/or groups, choice lists, numbers, a custom field and fields of the related
customer), and 10,000 domain events as services emit them. Then it times what the task
worker does with them: `handle_event` per event, in-process, as the Huey task calls it
(trigger, conditions, the run rows — skipped or done — the actions, the counters).

The action of every rule is a bench action that writes one row (touches the record's
`updated_at`), so the figure is the engine's cost plus one write per action, not the cost
of sending email or SMS. The conditions are specific, as real rules are: about one rule
in twenty whose trigger fires acts (≈1 action per change). It deletes its own rules and
runs first: run it on a bench database.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from guanxi.core.models import CustomField, User  # noqa: E402
from guanxi.customers.models import Account, Contact  # noqa: E402
from guanxi.sales.models import Opportunity, Pipeline, Stage  # noqa: E402
from guanxi.workflow import actions, automation_engine  # noqa: E402
from guanxi.workflow.automation_models import AutomationRule, AutomationRun  # noqa: E402
from guanxi.workflow.automation_services import (  # noqa: E402
    RuleData,
    automation_rule_save,
    automation_rule_validate,
)
from guanxi.workflow.timer_models import Timer  # noqa: E402

PREFIX = "压测自动化"
CITIES = ["杭州", "上海", "北京", "深圳", "广州", "成都", "南京", "武汉"]
INDUSTRIES = ["manufacturing", "it", "internet", "finance", "retail"]
GRADES = ["vip", "important", "ordinary", ""]
TITLES = ["采购经理", "总经理", "财务总监", "工程师", "IT 主管"]


class NoParams(actions.ParamsForm):
    pass


def _touch(context, params) -> str:
    type(context.record).objects.filter(pk=context.record.pk).update(updated_at=timezone.now())
    return "touched"


actions.register_action(
    actions.ActionType(key="bench_touch", label="Touch (bench)", form_class=NoParams, run=_touch)
)


def prepare(rng: random.Random) -> tuple[User, list[int], list[int], list[int], list[int]]:
    owner, _created = User.objects.get_or_create(
        username="bench_automation", defaults={"is_staff": True, "is_superuser": True}
    )
    CustomField.objects.get_or_create(
        entity="account", key="tier", defaults={"label_en": "Tier", "field_type": "text"}
    )
    pipeline, _created = Pipeline.objects.get_or_create(
        name_zh=f"{PREFIX}流程", defaults={"name_en": "Bench automation"}
    )
    if not pipeline.stages.exists():
        for position, (name, probability) in enumerate(
            [("初步接触", 10), ("需求确认", 30), ("方案报价", 50), ("商务谈判", 70), ("赢单", 100)]
        ):
            Stage.objects.create(
                pipeline=pipeline,
                name_zh=name,
                name_en=name,
                position=position,
                probability=probability,
                is_won=probability == 100,
            )
    stages = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
    if not Account.objects.filter(name__startswith=PREFIX).exists():
        Account.objects.bulk_create(
            Account(
                number=f"BA{n:06d}",
                name=f"{PREFIX}{rng.choice(CITIES)}客户{n}",
                account_type="customer",
                kind="company",
                owner=owner,
                city=rng.choice(CITIES),
                industry=rng.choice(INDUSTRIES),
                grade=rng.choice(GRADES),
                employees=rng.randint(5, 5000),
                custom={"tier": rng.choice(["gold", "silver", "bronze"])},
            )
            for n in range(2000)
        )
        account_ids = list(
            Account.objects.filter(name__startswith=PREFIX).values_list("pk", flat=True)
        )
        Contact.objects.bulk_create(
            Contact(
                account_id=rng.choice(account_ids),
                name=f"{PREFIX}联系人{n}",
                owner=owner,
                title=rng.choice(TITLES),
                email=f"bench{n}@{rng.choice(['vip.cn', 'qq.com'])}",
            )
            for n in range(3000)
        )
        Opportunity.objects.bulk_create(
            Opportunity(
                number=f"BO{n:06d}",
                name=f"{PREFIX}商机{n}",
                owner=owner,
                account_id=rng.choice(account_ids),
                pipeline=pipeline,
                stage_id=stages[0],
                amount=Decimal(rng.randint(1, 500) * 1000),
                probability=10,
            )
            for n in range(1000)
        )
    accounts = list(Account.objects.filter(name__startswith=PREFIX).values_list("pk", flat=True))
    contacts = list(Contact.objects.filter(name__startswith=PREFIX).values_list("pk", flat=True))
    deals = list(Opportunity.objects.filter(name__startswith=PREFIX).values_list("pk", flat=True))
    return owner, accounts, contacts, deals, stages


def rule_values(number: int, rng: random.Random, stages: list[int]) -> dict:
    touch = [{"type": "bench_touch", "params": {}}]
    city = {"field": "city", "op": "eq", "value": rng.choice(CITIES)}
    kind = number % 10
    if number < 45:  # customers
        industries = rng.sample(INDUSTRIES, 2)
        conditions = {
            "match": "all",
            "rules": [
                city if kind % 2 else {"field": "industry", "op": "in", "value": industries},
                {
                    "match": "any",
                    "rules": [
                        {"field": "grade", "op": "eq", "value": "vip"},
                        {"field": "employees", "op": "gt", "value": str(rng.randint(2000, 4500))},
                    ],
                },
                {"field": "custom.tier", "op": "eq", "value": "gold"},
            ],
        }
        if kind < 4:
            trigger, params = "updated", {}
        elif kind < 8:
            trigger = "field_changed"
            params = {"field": "grade", "op": "changed_to", "value": rng.choice(GRADES[:3])}
        elif kind < 9:
            trigger, params = "created", {}
        else:
            trigger, params = "still_matching", {"hours": 8}
        return dict(
            entity="account",
            trigger=trigger,
            trigger_params=params,
            conditions=conditions,
            actions=touch,
        )
    if number < 70:  # contacts
        conditions = {
            "match": "all",
            "rules": [
                {"field": "account.city", "op": "eq", "value": rng.choice(CITIES)},
                {"field": "email", "op": "contains", "value": "vip"},
            ],
        }
        if kind < 5:
            trigger = "field_changed"
            params = {"field": "title", "op": "changed_to", "value": rng.choice(TITLES)}
        else:
            trigger, params = "updated", {}
        return dict(
            entity="contact",
            trigger=trigger,
            trigger_params=params,
            conditions=conditions,
            actions=touch,
        )
    conditions = {
        "match": "all",
        "rules": [
            {"field": "amount", "op": "gte", "value": str(rng.randint(200, 450) * 1000)},
            {"field": "account.industry", "op": "in", "value": rng.sample(INDUSTRIES, 2)},
        ],
    }
    if kind < 6:
        trigger, params = "stage_entered", {"stages": rng.sample(stages[1:], 2)}
    else:
        trigger = "field_changed"
        params = {"field": "amount", "op": "changed"}
    return dict(
        entity="opportunity",
        trigger=trigger,
        trigger_params=params,
        conditions=conditions,
        actions=touch,
    )


def make_rules(owner: User, count: int, rng: random.Random, stages: list[int]) -> None:
    AutomationRun.objects.filter(rule__name__startswith=PREFIX).delete()
    AutomationRule.objects.filter(name__startswith=PREFIX).delete()
    Timer.objects.filter(key__startswith="automation:").delete()
    for number in range(count):
        values = rule_values(number, rng, stages)
        cleaned, errors = automation_rule_validate(
            RuleData(name=f"{PREFIX}规则{number}", owner_id=owner.pk, **values)
        )
        assert not errors, errors
        automation_rule_save(actor=owner, rule=None, cleaned=cleaned, version=None)


def make_events(count, rng, accounts, contacts, deals, stages) -> list[tuple[str, str, dict]]:
    made = []
    for number in range(count):
        share = number % 10
        event_id = uuid.uuid4().hex
        if share < 5:
            field = rng.choice(["grade", "city", "industry"])
            before, after = rng.sample(
                {"grade": GRADES[:3], "city": CITIES, "industry": INDUSTRIES}[field], 2
            )
            verb = "created" if number % 50 == 0 else "updated"
            made.append(
                (
                    event_id,
                    f"account.{verb}",
                    {
                        "entity": "account",
                        "id": rng.choice(accounts),
                        "actor_id": None,
                        "changes": {field: [before, after]},
                    },
                )
            )
        elif share < 8:
            before, after = rng.sample(TITLES, 2)
            made.append(
                (
                    event_id,
                    "contact.updated",
                    {
                        "entity": "contact",
                        "id": rng.choice(contacts),
                        "actor_id": None,
                        "changes": {"title": [before, after]},
                    },
                )
            )
        elif share < 9:
            made.append(
                (
                    event_id,
                    "opportunity.stage_changed",
                    {
                        "entity": "opportunity",
                        "id": rng.choice(deals),
                        "from": stages[0],
                        "to": rng.choice(stages[1:]),
                    },
                )
            )
        else:
            made.append(
                (
                    event_id,
                    "opportunity.updated",
                    {
                        "entity": "opportunity",
                        "id": rng.choice(deals),
                        "changes": {"amount": ["10000.00", "250000.00"]},
                    },
                )
            )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--rules", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(7)
    owner, accounts, contacts, deals, stages = prepare(rng)
    make_rules(owner, args.rules, rng, stages)
    events = make_events(args.events, rng, accounts, contacts, deals, stages)
    automation_engine.rule_index()
    started, cpu = time.perf_counter(), time.process_time()
    for event_id, name, payload in events:
        automation_engine.handle_event(event_id, name, payload, {})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    statuses = dict(
        AutomationRun.objects.filter(rule__name__startswith=PREFIX)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    timers = Timer.objects.filter(key__startswith="automation:", status="pending").count()
    counted = AutomationRule.objects.filter(name__startswith=PREFIX).aggregate(
        done=Sum("done_count"), skipped=Sum("skipped_count"), failed=Sum("failed_count")
    )
    print(f"database: {connection.vendor}")
    print(
        f"{args.rules} active rules, {len(events)} events in {elapsed:.1f} s "
        f"({len(events) / elapsed:.0f} events/s, {elapsed / len(events) * 1000:.2f} ms each); "
        f"worker CPU {cpu:.1f} s; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"runs: {statuses}; pending timers: {timers}")
    print(
        f"rule evaluations (trigger held, conditions checked): "
        f"{sum(value or 0 for value in counted.values())} — {counted}"
    )
    again = time.perf_counter()
    for event_id, name, payload in events[:1000]:
        automation_engine.handle_event(event_id, name, payload, {})
    print(
        f"the first 1,000 events again (idempotent, no new runs): "
        f"{time.perf_counter() - again:.1f} s; runs now "
        f"{AutomationRun.objects.filter(rule__name__startswith=PREFIX).count()}"
    )


if __name__ == "__main__":
    main()
