"""Demo leads: ~80 leads from several sources, assignment and scoring rules, a web form."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from guanxi.activities.services import activity_log
from guanxi.core.models import Role, RolePermission, Team, User
from guanxi.core.permissions import can
from guanxi.customers.models import Account
from guanxi.sales.choices import LeadStatus, UnqualifiedReason
from guanxi.sales.lead_capture import lead_create_unattended
from guanxi.sales.lead_conversion import lead_convert
from guanxi.sales.lead_scoring import leads_rescore_all
from guanxi.sales.lead_services import lead_set_status
from guanxi.sales.models import (
    Lead,
    LeadAssignmentRule,
    LeadPoolSettings,
    LeadScoringRule,
    LeadWebForm,
    Opportunity,
)

DEMO_KEY = "demo_lead"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "超")
PLACES = (
    ("江苏", "苏州"),
    ("浙江", "杭州"),
    ("上海", "上海"),
    ("广东", "深圳"),
    ("广东", "广州"),
    ("福建", "厦门"),
    ("四川", "成都"),
    ("北京", "北京"),
    ("湖北", "武汉"),
)
BRANDS = ("恒通", "华锐", "启明", "海天", "蓝海", "鼎盛", "云栖", "天成", "金桥", "瑞丰")
TRADES = ("精密机械", "电子科技", "物流", "食品", "医疗器械", "软件", "建材", "纺织")
INTERESTS = ("ERP 实施", "仓库扫描枪", "CRM 系统", "年度维保", "数据中台", "工业相机", "")
SOURCES = ("website", "referral", "exhibition", "cold_call", "advertising", "social")


def _grant_leads() -> None:
    """Give the demo roles the same rights on leads as on customers."""
    for permission in RolePermission.objects.filter(entity="account"):
        for entity in ("lead", "opportunity"):
            RolePermission.objects.get_or_create(
                role=permission.role,
                entity=entity,
                defaults={"actions": permission.actions, "scope": permission.scope},
            )


def _any_of(field: str, values: list[str]) -> dict:
    return {"match": "all", "rules": [{"field": field, "op": "in", "value": values}]}


def _places(*places: str) -> dict:
    """Return conditions: the lead's province or city is one of the places."""
    either = [{"field": key, "op": "in", "value": list(places)} for key in ("province", "city")]
    return {"match": "all", "rules": [{"match": "any", "rules": either}]}


def _keywords(*words: str) -> dict:
    """Return conditions: one of the words appears in the product interest or description."""
    either = [
        {"field": field, "op": "contains", "value": word}
        for word in words
        for field in ("product_interest", "description")
    ]
    return {"match": "all", "rules": [{"match": "any", "rules": either}]}


def _assignment_rules(users: dict[str, User], author: User) -> None:
    east = Team.objects.filter(name="华东渠道组").first()
    key_accounts = Team.objects.filter(name="大客户攻坚组").first()
    rules = [
        dict(
            name="推荐客户给大客户部",
            conditions=_any_of("source", ["referral"]),
            action="user",
            user=users["zengzhiqiang"],
        ),
        dict(
            name="ERP 需求按负载分配",
            conditions=_keywords("erp", "数据中台"),
            action="least_loaded",
            team=key_accounts,
        ),
        dict(
            name="华东线索轮流分配",
            conditions=_places("江苏", "浙江", "上海"),
            action="round_robin",
            team=east,
            reassign_after_hours=24,
        ),
        dict(
            name="华南线索",
            conditions=_places("广东", "福建"),
            action="user",
            user=users["zhoujie"],
        ),
    ]
    for position, values in enumerate(rules, start=1):
        LeadAssignmentRule.objects.create(position=position, created_by=author, **values)


def _settings(users: dict[str, User], author: User) -> LeadWebForm:
    _assignment_rules(users, author)
    for kind, field, value, activity, points in (
        ("field", "source", "referral", "", 20),
        ("field", "source", "exhibition", "", 10),
        ("field", "has_email", "", "", 5),
        ("field", "has_company", "", "", 5),
        ("field", "province", "上海", "", 5),
        ("activity", "", "", "call", 10),
        ("activity", "", "", "visit", 15),
        ("reply", "", "", "", 15),
    ):
        LeadScoringRule.objects.create(
            kind=kind, field=field, value=value, activity_kind=activity, points=points
        )
    pool = LeadPoolSettings.current()
    pool.roles.set(Role.objects.filter(name__in=["销售代表", "销售总监"]))
    pool.max_open_leads = 40
    pool.save()
    return LeadWebForm.objects.create(
        name="官网产品咨询",
        fields=[
            "company",
            "mobile",
            "email",
            "province",
            "city",
            "product_interest",
            "description",
        ],
        thank_you="感谢您的咨询，我们的销售顾问会在一个工作日内与您联系。",
        consent_text="我同意华信科技就本次咨询通过电话或邮件与我联系。",
        source="website",
        allowed_origins="https://www.huaxin-tech.com",
        created_by=author,
    )


def _values(rng: random.Random, number: int, web_form: LeadWebForm) -> dict:
    province, city = rng.choice(PLACES)
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    company = f"{city}{rng.choice(BRANDS)}{rng.choice(TRADES)}有限公司" if number % 7 else ""
    values = {
        "name": name,
        "company": company,
        "mobile": f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
        "email": f"lead{number}@example-{number % 13}.cn" if number % 3 else "",
        "province": province,
        "city": city,
        "source": rng.choice(SOURCES),
        "product_interest": rng.choice(INTERESTS),
        "custom": {DEMO_KEY: True},
    }
    if values["source"] == "website" and number % 2:
        values.update(
            web_form=web_form,
            consent_at=timezone.now(),
            consent_text=web_form.consent_text,
            source_detail=web_form.name,
        )
    return values


def _progress(rng: random.Random, lead: Lead, now: datetime.datetime) -> None:
    """Move some leads along: calls logged, qualified, unqualified."""
    if lead.owner is None or not can(lead.owner, "lead", "edit"):
        return
    roll = rng.random()
    if roll < 0.45:
        activity_log(
            actor=lead.owner,
            kind=rng.choice(["call", "call", "visit"]),
            subject="首次沟通需求",
            record=lead,
            at=now - datetime.timedelta(hours=rng.randint(2, 200)),
        )
        lead_set_status(actor=lead.owner, lead=lead, status=LeadStatus.CONTACTED)
    if 0.25 < roll < 0.45:
        lead_set_status(actor=lead.owner, lead=lead, status=LeadStatus.QUALIFIED)
    elif 0.45 <= roll < 0.55:
        lead_set_status(
            actor=lead.owner,
            lead=lead,
            status=LeadStatus.UNQUALIFIED,
            reason=rng.choice(UnqualifiedReason.values),
        )


def create(rng: random.Random, *, users: dict[str, User], now: datetime.datetime, count: int = 80):
    """Create the demo's lead settings and leads; convert a few qualified ones."""
    _grant_leads()
    web_form = _settings(users, users["wangjianguo"])
    leads = []
    for number in range(1, count + 1):
        lead = lead_create_unattended(
            actor=users["zhaomin"], values=_values(rng, number, web_form), owner=None
        )
        ago = now - datetime.timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23))
        Lead.objects.filter(pk=lead.pk).update(created_at=ago, assigned_at=ago)
        lead.refresh_from_db()
        _progress(rng, lead, now)
        leads.append(lead)
    qualified = Lead.objects.filter(custom__has_key=DEMO_KEY, status=LeadStatus.QUALIFIED)
    director = users["chenjing"]
    customers = Account.objects.visible_to(director, "view").order_by("pk")
    for lead in list(qualified.select_related("owner")[:4]):
        # Attached to customers the demo already has, as when the duplicate check finds one.
        lead_convert(
            actor=director,
            lead=lead,
            account=customers.filter(owner=lead.owner).first() or customers.first(),
            create_opportunity=bool(lead.product_interest),
            opportunity_name=lead.product_interest,
        )
    leads_rescore_all()
    return leads


def delete(users: list[int]) -> None:
    """Remove the demo leads, their deals and the lead settings."""
    demo = Lead.objects.filter(custom__has_key=DEMO_KEY)
    Opportunity.objects.filter(lead__in=demo).delete()
    demo.delete()
    LeadAssignmentRule.objects.all().delete()
    LeadScoringRule.objects.all().delete()
    LeadWebForm.objects.filter(created_by__in=users).delete()
