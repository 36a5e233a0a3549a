"""Demo data of competitors and telesales: competing products and a worked call list."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from guanxi.core.models import RolePermission
from guanxi.core.permissions import forget_grants
from guanxi.customers.choices import AccountType
from guanxi.customers.models import Contact
from guanxi.sales import calllist_services
from guanxi.sales.models import CallList, CallOutcome, CompetitorProduct

# (name, price from, price up to, strengths, weaknesses, our counter-arguments)
PRODUCTS = (
    (
        "云枢 ERP 标准版",
        "80000",
        "150000",
        "品牌知名度高，财务模块成熟",
        "实施周期长，二次开发贵",
        "我们 6 周上线，含本地化实施团队",
    ),
    (
        "Nordlicht CRM Pro",
        "120000",
        "300000",
        "Strong analytics, global references",
        "No WeChat integration, slow support in China",
        "本地客服 2 小时响应，原生企业微信集成",
    ),
    (
        "易销通 SaaS",
        "9800",
        "39800",
        "价格低，按年订阅",
        "数据权限粗糙，无法私有化部署",
        "按部门/区域的数据权限，支持私有化",
    ),
    (
        "Kestrel Field Service",
        "50000",
        "90000",
        "Good mobile app",
        "No spare-parts tracking",
        "我们的派工单含备件与序列号追溯",
    ),
)
CALLS = ("interested", "no_answer", "busy", "not_interested", "call_back", "interested")


def _grant_call_lists() -> None:
    """Give each demo role the same rights on call lists as it has on customers."""
    for permission in RolePermission.objects.filter(entity="account", role__users__isnull=False):
        RolePermission.objects.get_or_create(
            role=permission.role,
            entity="calllist",
            defaults={"actions": permission.actions, "scope": permission.scope},
        )


def create(rng: random.Random, *, accounts, users, now) -> dict:
    """Add competing products to the demo competitors and a half-worked call list."""
    _grant_call_lists()
    for user in users.values():
        forget_grants(user)
    competitors = [a for a in accounts if a.account_type == AccountType.COMPETITOR]
    products = []
    for index, competitor in enumerate(competitors):
        for name, low, high, strengths, weaknesses, counter in rng.sample(PRODUCTS, 1 + index % 2):
            products.append(
                CompetitorProduct(
                    competitor=competitor,
                    name=name,
                    price_min=Decimal(low),
                    price_max=Decimal(high),
                    strengths=strengths,
                    weaknesses=weaknesses,
                    counter_arguments=counter,
                )
            )
    CompetitorProduct.objects.bulk_create(products)
    manager, reps = users["liming"], [users["zhangwei"], users["liuyang"]]
    call_list = calllist_services.calllist_create(
        actor=manager, name="华东区联系人季度回访", entity="contact", filter_query=""
    )
    contacts = Contact.objects.filter(owner__in=reps).order_by("pk")[:20]
    calllist_services.calllist_add_records(
        actor=manager,
        call_list=call_list,
        records=Contact.objects.filter(pk__in=[c.pk for c in contacts]),
        rep_ids=[rep.pk for rep in reps],
    )
    outcomes = {outcome.code: outcome for outcome in CallOutcome.objects.all()}
    calls = 0
    for entry, code in zip(
        call_list.entries.filter(assigned_to=reps[0]).order_by("position"), CALLS, strict=False
    ):
        callback = now + datetime.timedelta(days=1, hours=2) if code == "call_back" else None
        calllist_services.calllist_record_outcome(
            actor=reps[0], entry=entry, outcome=outcomes[code], note="", callback_at=callback
        )
        calls += 1
    return {"competing_products": len(products), "call_lists": 1, "calls": calls}


def delete(user_ids) -> None:
    """Remove the demo call lists (before the users who own them)."""
    CallList.objects.filter(owner__in=user_ids).delete()
