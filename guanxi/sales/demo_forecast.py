"""Demo data of the forecast: monthly targets of the demo reps, quarterly ones of the teams."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from guanxi.core.models import Department, User
from guanxi.core.money import default_currency
from guanxi.sales.forecast_choices import PeriodType
from guanxi.sales.models import Target

# Monthly target of each rep, in ten thousands of yuan (万元), before a ±20 % swing.
REP_TARGETS = {
    "liming": 60,
    "zhangwei": 35,
    "liuyang": 30,
    "huangli": 50,
    "zhoujie": 30,
    "zengzhiqiang": 80,
    "shanxiaohong": 45,
    "dmiller": 40,
}
# Quarterly targets of the sales departments, in 万元.
DEPARTMENT_TARGETS = {"east": 400, "south": 260, "key": 520, "sales": 1300}


def create(
    *,
    users: dict[str, User],
    departments: dict[str, Department],
    today: datetime.date,
) -> list[Target]:
    """Create this year's targets for the demo reps and sales departments."""
    rng = random.Random(2026)  # its own: the demo's shared generator stays as it was
    currency = default_currency()
    chief = users.get("chenjing")
    targets = []
    for username, base in REP_TARGETS.items():
        user = users.get(username)
        if user is None:
            continue
        for month in range(1, 13):
            swing = Decimal(rng.randint(80, 120)) / 100
            targets.append(
                Target(
                    user=user,
                    period_type=PeriodType.MONTH,
                    period_start=datetime.date(today.year, month, 1),
                    amount=(Decimal(base * 10000) * swing).quantize(Decimal("1000")),
                    count=max(1, base // 15),
                    currency=currency,
                    created_by=chief,
                )
            )
    for key, amount in DEPARTMENT_TARGETS.items():
        department = departments.get(key)
        if department is None:
            continue
        for quarter in range(4):
            targets.append(
                Target(
                    department=department,
                    period_type=PeriodType.QUARTER,
                    period_start=datetime.date(today.year, quarter * 3 + 1, 1),
                    amount=Decimal(amount * 10000),
                    currency=currency,
                    created_by=users.get("wangjianguo"),
                )
            )
    return Target.objects.bulk_create(targets)
