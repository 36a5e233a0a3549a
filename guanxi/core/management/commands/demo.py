"""`guanxi demo [--reset]`: realistic bilingual demo data for 华信科技 / Huaxin Technology.

Creates the company's department tree, teams, roles, users, customers (客户) and contacts
(联系人) with custom field values, shares, search keys and change history. Everything is
drawn from `random.Random(seed)`, so two runs with the same seed give the same data. Running
it again does nothing while the demo users exist; `--reset` removes the demo data first.

Names, phones and addresses come from `guanxi.core.demo_names`, which `bench/generate.py`
uses too, so the benchmark data looks like the demo data.
"""

from __future__ import annotations

import datetime
import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from guanxi.activities import calendar_demo
from guanxi.activities import demo as activities_demo
from guanxi.core import audit, dedupe, org, search
from guanxi.core.choices import Action, AuditAction, CustomFieldType, Scope, ShareAccess
from guanxi.core.demo_names import (
    BRAND_CHARS,
    CHINESE_TITLES,
    CITIES,
    ENGLISH_BRANDS,
    ENGLISH_FIRST,
    ENGLISH_HOBBIES,
    ENGLISH_INDUSTRIES,
    ENGLISH_LAST,
    ENGLISH_PLACES,
    ENGLISH_TITLES,
    GOVERNMENT_NAMES,
    HOBBIES,
    INDUSTRY_WORDS,
    LEGAL_FORMS,
    PERSONAL_MAIL_DOMAINS,
    Country,
    chinese_address,
    chinese_name,
    company_domain,
    landline_number,
    latin_name,
    mobile_number,
)
from guanxi.core.models import (
    AuditEntry,
    CustomField,
    Department,
    Group,
    Role,
    SearchToken,
    Share,
    Tagging,
    Team,
    Territory,
    User,
)
from guanxi.core.phones import normalize_phone
from guanxi.core.services import sequence_next
from guanxi.customers import demo_duplicates, loyalty_demo
from guanxi.customers.choices import (
    AccountKind,
    AccountType,
    ContactRole,
    Grade,
    Industry,
    Source,
)
from guanxi.customers.demo import add_demo_labels
from guanxi.customers.demo_pool import create_demo_pool
from guanxi.customers.models import Account, AccountContact, Contact, PointsEntry, Pool
from guanxi.dataio.demo import demo_import
from guanxi.dataio.models import ImportRun
from guanxi.sales import demo_forecast, demo_leads, demo_opportunities, demo_telesales
from guanxi.service import demo as care_demo
from guanxi.workflow import approval_demo, automation_demo
from guanxi.workflow import calendar_demo as business_calendar_demo

DEMO_PASSWORD = "guanxi-demo"
DEMO_MARK = "demo"  # key set in User.preferences of every user the demo created
COMPANY_NAME = "华信科技"

# ---------------------------------------------------------------------------------------
# The organisation
# ---------------------------------------------------------------------------------------

ALL_ACTIONS = [action.value for action in Action]
CUSTOMER_ENTITIES = ("account", "contact", "group", "activity", "opportunity")
# role name → (description, actions, scope)
ROLES = {
    "系统管理员": ("System administrator: everything on all records.", ALL_ACTIONS, Scope.ALL),
    "销售总监": (
        "Sales director: everything in their department and below.",
        ALL_ACTIONS,
        Scope.DEPARTMENT_TREE,
    ),
    "销售代表": (
        "Sales rep: view, create, edit and export their own records.",
        ["view", "create", "edit", "export"],
        Scope.OWN,
    ),
    # One role grants one scope per entity, so "view all, edit own" takes two roles.
    "客服": ("Customer service: view all records.", ["view"], Scope.ALL),
    "客服（编辑本人）": ("Customer service: edit their own records.", ["edit"], Scope.OWN),
    "市场": ("Marketing: view and export all records.", ["view", "export"], Scope.ALL),
}
# department key → (name, parent key)
DEPARTMENTS = {
    "root": (COMPANY_NAME, None),
    "office": ("总经理办公室", "root"),
    "sales": ("销售部", "root"),
    "east": ("华东销售", "sales"),
    "south": ("华南销售", "sales"),
    "key": ("大客户部", "sales"),
    "marketing": ("市场部", "root"),
    "service": ("客户服务部", "root"),
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    last_name: str
    first_name: str
    display_name: str
    department: str
    manager: str | None
    roles: tuple[str, ...]
    language: str
    sales_weight: int = 0  # how many accounts they own, relatively


DEMO_USERS = (
    DemoUser("wangjianguo", "王", "建国", "王建国", "office", None, ("系统管理员",), "zh-hans"),
    DemoUser("chenjing", "陈", "静", "陈静", "sales", "wangjianguo", ("销售总监",), "zh-hans", 1),
    DemoUser("liming", "李", "明", "李明", "east", "chenjing", ("销售总监",), "zh-hans", 2),
    DemoUser("zhangwei", "张", "伟", "张伟", "east", "liming", ("销售代表",), "zh-hans", 5),
    DemoUser("liuyang", "刘", "洋", "刘洋", "east", "liming", ("销售代表",), "zh-hans", 4),
    DemoUser("huangli", "黄", "丽", "黄丽", "south", "chenjing", ("销售总监",), "zh-hans", 2),
    DemoUser("zhoujie", "周", "杰", "周杰", "south", "huangli", ("销售代表",), "zh-hans", 5),
    DemoUser(
        "zengzhiqiang", "曾", "志强", "曾志强", "key", "chenjing", ("销售总监",), "zh-hans", 2
    ),
    DemoUser("shanxiaohong", "单", "晓红", "单晓红", "key", "zengzhiqiang", ("销售代表",), "en", 4),
    DemoUser(
        "dmiller", "Miller", "David", "David Miller", "key", "zengzhiqiang", ("销售代表",), "en", 3
    ),
    DemoUser("zhaomin", "赵", "敏", "赵敏", "marketing", "wangjianguo", ("市场",), "zh-hans"),
    DemoUser("echen", "Chen", "Emily", "Emily Chen", "marketing", "zhaomin", ("市场",), "en"),
    DemoUser(
        "sunyue",
        "孙",
        "悦",
        "孙悦",
        "service",
        "wangjianguo",
        ("客服", "客服（编辑本人）"),
        "zh-hans",
    ),
    DemoUser(
        "xiexiaodong",
        "解",
        "晓东",
        "解晓东",
        "service",
        "sunyue",
        ("客服", "客服（编辑本人）"),
        "zh-hans",
    ),
)
DEPARTMENT_MANAGERS = {
    "root": "wangjianguo",
    "office": "wangjianguo",
    "sales": "chenjing",
    "east": "liming",
    "south": "huangli",
    "key": "zengzhiqiang",
    "marketing": "zhaomin",
    "service": "sunyue",
}
# team name → (department key, leader, members)
TEAMS = {
    "大客户攻坚组": (
        "key",
        "zengzhiqiang",
        ("zengzhiqiang", "shanxiaohong", "dmiller", "chenjing"),
    ),
    "华东渠道组": ("east", "liming", ("liming", "zhangwei", "liuyang", "zhaomin")),
    "客户成功组": ("service", "sunyue", ("sunyue", "xiexiaodong", "huangli", "echen")),
}
PAYMENT_TERMS = (
    {"value": "prepaid", "label_en": "Prepaid", "label_zh": "预付款"},
    {"value": "net30", "label_en": "Net 30 days", "label_zh": "月结 30 天"},
    {"value": "net60", "label_en": "Net 60 days", "label_zh": "月结 60 天"},
    {"value": "cod", "label_en": "Cash on delivery", "label_zh": "货到付款"},
)
CUSTOM_FIELDS = (
    ("account", "credit_limit", "Credit limit", "信用额度", CustomFieldType.DECIMAL, [], True),
    (
        "account",
        "payment_terms",
        "Payment terms",
        "付款条件",
        CustomFieldType.CHOICE,
        list(PAYMENT_TERMS),
        True,
    ),
    ("account", "key_account", "Key account", "重点客户", CustomFieldType.BOOLEAN, [], False),
    ("contact", "hobby", "Hobby", "兴趣爱好", CustomFieldType.TEXT, [], False),
)


@dataclass
class Organisation:
    departments: dict[str, Department] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)

    @property
    def sales_weights(self) -> tuple[list[User], list[int]]:
        people = [spec for spec in DEMO_USERS if spec.sales_weight]
        return [self.users[spec.username] for spec in people], [s.sales_weight for s in people]


def create_organisation() -> Organisation:
    """Create the department tree, roles, users, teams and territories of the demo company."""
    result = Organisation()
    for key, (name, parent) in DEPARTMENTS.items():
        result.departments[key] = org.department_create(
            name=name, parent=result.departments[parent] if parent else None
        )
    roles = {}
    for name, (description, actions, scope) in ROLES.items():
        role, _created = Role.objects.update_or_create(
            name=name, defaults={"description": description}
        )
        org.role_set_permissions(
            role=role,
            permissions=[
                {"entity": entity, "actions": actions, "scope": scope}
                for entity in CUSTOMER_ENTITIES
            ],
        )
        roles[name] = role
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    for spec in DEMO_USERS:
        user = User.objects.create(
            username=spec.username,
            password=password,
            first_name=spec.first_name,
            last_name=spec.last_name,
            display_name=spec.display_name,
            email=f"{spec.username}@huaxin-tech.com",
            department=result.departments[spec.department],
            manager=result.users.get(spec.manager or ""),
            language=spec.language,
            time_zone="Asia/Shanghai",
            preferences={DEMO_MARK: True},
        )
        user.roles.set([roles[name] for name in spec.roles])
        result.users[spec.username] = user
    for key, username in DEPARTMENT_MANAGERS.items():
        department = result.departments[key]
        department.manager = result.users[username]
        department.save(update_fields=["manager"])
    for name, (department, leader, members) in TEAMS.items():
        team, _created = Team.objects.update_or_create(
            name=name,
            defaults={
                "department": result.departments[department],
                "leader": result.users[leader],
            },
        )
        team.members.set([result.users[username] for username in members])
        result.teams[name] = team
    _create_territories(result)
    return result


def _create_territories(result: Organisation) -> None:
    east = Territory.objects.create(name="华东区", code="EAST", regions="上海\n江苏\n浙江\n安徽")
    Territory.objects.create(name="浙江", code="EAST-ZJ", parent=east, regions="浙江")
    south = Territory.objects.create(name="华南区", code="SOUTH", regions="广东\n福建\n广西\n海南")
    east.users.set([result.users["liming"], result.users["zhangwei"], result.users["liuyang"]])
    south.users.set([result.users["huangli"], result.users["zhoujie"]])


def ensure_custom_fields() -> dict[str, CustomField]:
    """Define (or refresh) the demo's custom fields of accounts and contacts."""
    fields = {}
    for position, (entity, key, label_en, label_zh, kind, choices, in_list) in enumerate(
        CUSTOM_FIELDS
    ):
        fields[key], _created = CustomField.objects.update_or_create(
            entity=entity,
            key=key,
            defaults={
                "label_en": label_en,
                "label_zh": label_zh,
                "field_type": kind,
                "choices": choices,
                "position": position,
                "show_in_list": in_list,
            },
        )
    return fields


# ---------------------------------------------------------------------------------------
# Customers and contacts
# ---------------------------------------------------------------------------------------

ACCOUNT_TYPE_WEIGHTS = (
    (AccountType.CUSTOMER, 45),
    (AccountType.PROSPECT, 30),
    (AccountType.PARTNER, 8),
    (AccountType.RESELLER, 7),
    (AccountType.COMPETITOR, 5),
    (AccountType.OTHER, 5),
)
GRADE_WEIGHTS = ((Grade.VIP, 10), (Grade.IMPORTANT, 25), (Grade.ORDINARY, 50), ("", 15))


class DemoData:
    """Build the demo's customers and contacts, their history, search keys and shares."""

    def __init__(self, rng: random.Random, organisation: Organisation, now: datetime.datetime):
        self.rng = rng
        self.org = organisation
        self.now = now
        self.names: set[str] = set()
        self.accounts: list[Account] = []
        self.contacts: list[Contact] = []
        self.audit_entries: list[AuditEntry] = []
        self.shares = 0
        self.pool = None
        self.activities: dict = {}
        self.care: dict = {}
        self.labels: dict[str, int] = {}
        self.loyalty: dict = {}

    # -- helpers ------------------------------------------------------------------------

    def pick(self, weighted):
        values, weights = zip(*weighted, strict=True)
        return self.rng.choices(values, weights)[0]

    def moment(self, days_back: int = 720) -> tuple[datetime.datetime, datetime.datetime]:
        """Return (created, updated) in the past, updated no earlier than created."""
        created = self.now - datetime.timedelta(seconds=self.rng.randrange(days_back * 86400))
        span = int((self.now - created).total_seconds())
        updated = created + datetime.timedelta(seconds=self.rng.randrange(max(span, 1)))
        return created, updated

    def owner(self) -> User:
        people, weights = self.org.sales_weights
        return self.rng.choices(people, weights)[0]

    def unique(self, make) -> tuple:
        for _attempt in range(50):
            result = make()
            if result[0] not in self.names:
                self.names.add(result[0])
                return result
        raise CommandError("Could not find an unused company name.")

    # -- accounts -----------------------------------------------------------------------

    def chinese_company(self, industry: str | None):
        rng = self.rng
        words = [item for item in INDUSTRY_WORDS if industry in (None, item[1])]
        city = rng.choice(CITIES)
        brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
        word, industry_value = rng.choice(words or INDUSTRY_WORDS)
        name = f"{city.name}{brand}{word}{rng.choice(LEGAL_FORMS)}"
        return name, city, brand, word, industry_value

    def chinese_account(self, index: int, industry: str | None) -> Account:
        rng = self.rng
        if industry == "government":
            name, city_index = GOVERNMENT_NAMES[index % len(GOVERNMENT_NAMES)]
            self.names.add(name)
            city, brand, word = CITIES[city_index], name[2:4], ""
        else:
            name, city, brand, word, industry = self.unique(lambda: self.chinese_company(industry))
        address, postal = chinese_address(rng, city)
        phone, _e164 = landline_number(rng, city) if rng.random() < 0.8 else mobile_number(rng)
        domain = company_domain(brand, word)
        revenue = Decimal(rng.choice((50, 120, 300, 800, 2000, 5000, 20000, 80000, 500000)))
        revenue = (revenue * Decimal(rng.randint(80, 125)) * 100).quantize(Decimal("1000"))
        return Account(
            name=name,
            industry=industry,
            phone=phone,
            email=(
                f"{rng.choice(('info', 'sales', 'contact', 'service', 'hr'))}@{domain}"
                if rng.random() < 0.85
                else ""
            ),
            website=f"https://www.{domain}" if rng.random() < 0.7 else "",
            country="中国",
            province=city.province,
            city=city.city,
            address=address,
            postal_code=postal,
            annual_revenue=revenue,
            currency="CNY",
            employees=rng.choice((12, 35, 80, 150, 300, 600, 1200, 5000)) + rng.randint(0, 9),
            description=rng.choice(
                (
                    "",
                    "",
                    "年度框架协议客户。",
                    "关注数字化转型，预算充足。",
                    "通过行业展会认识，决策链较长。",
                    "老客户推荐。",
                )
            ),
        )

    def english_account(self, industry: str | None) -> Account:
        rng = self.rng
        industries = [item for item in ENGLISH_INDUSTRIES if industry in (None, item[1])]
        place = rng.choice(ENGLISH_PLACES)

        def make():
            word, value = rng.choice(industries or ENGLISH_INDUSTRIES)
            brand = rng.choice(ENGLISH_BRANDS)
            return f"{brand} {word} {rng.choice(place.legal_forms)}", brand, value

        name, brand, industry = self.unique(make)
        slug = brand.lower().replace(" ", "")
        phone = _foreign_phone(rng, place)
        revenue = Decimal(rng.choice((2, 8, 25, 90, 400))) * Decimal(100000 * rng.randint(8, 12))
        return Account(
            name=name,
            industry=industry,
            phone=phone,
            email=f"{rng.choice(('info', 'sales', 'hello'))}@{slug}.com",
            website=f"https://www.{slug}.com",
            country=place.name,
            province=place.province,
            city=place.city,
            address=rng.choice(place.addresses),
            annual_revenue=revenue.quantize(Decimal("1000")),
            currency=place.currency,
            employees=rng.choice((20, 60, 250, 1500)) + rng.randint(0, 9),
        )

    def individual_account(self) -> Account:
        rng = self.rng
        surname, given, _gender = chinese_name(rng)
        city = rng.choice(CITIES)
        address, postal = chinese_address(rng, city)
        phone, _e164 = mobile_number(rng)
        name = f"{surname}{given}"
        self.names.add(name)
        return Account(
            name=name,
            kind=AccountKind.INDIVIDUAL,
            phone=phone,
            email=f"{latin_name(surname, given)}{rng.randint(1, 99)}@"
            f"{rng.choice(PERSONAL_MAIL_DOMAINS)}",
            country="中国",
            province=city.province,
            city=city.city,
            address=address,
            postal_code=postal,
            currency="CNY",
        )

    def make_accounts(self, count: int, english: int, individuals: int) -> None:
        """Create the accounts; the first ones cover every type, industry and source."""
        industries = list(Industry.values)
        types = list(AccountType.values)
        sources = list(Source.values)
        for index in range(count):
            industry = industries[index] if index < len(industries) else None
            if index >= count - individuals:
                account = self.individual_account()
            elif index % max(count // english, 1) == 3 and industry != "government":
                account = self.english_account(industry)
            else:
                account = self.chinese_account(index, industry)
            account.account_type = (
                types[index % len(types)] if index < 24 else self.pick(ACCOUNT_TYPE_WEIGHTS)
            )
            account.grade = self.pick(GRADE_WEIGHTS)
            account.source = (
                sources[index % len(sources)] if index < 24 else self.rng.choice([*sources, ""])
            )
            self.fill_account_custom(account)
            self.save_account(account)

    def fill_account_custom(self, account: Account) -> None:
        rng = self.rng
        custom = {}
        if (
            account.account_type in (AccountType.CUSTOMER, AccountType.RESELLER)
            or rng.random() < 0.2
        ):
            custom["credit_limit"] = str(Decimal(rng.choice((5, 10, 20, 50, 100, 300))) * 10000)
            custom["payment_terms"] = rng.choice(PAYMENT_TERMS)["value"]
        custom["key_account"] = account.grade == Grade.VIP or rng.random() < 0.05
        account.custom = custom

    def save_account(self, account: Account) -> None:
        owner = self.owner()
        account.owner = owner
        account.created_by = owner
        account.updated_by = owner
        account.number = sequence_next(key="C", prefix="C")
        account.save()
        account.created_at, account.updated_at = self.moment()
        self.accounts.append(account)

    # -- contacts -----------------------------------------------------------------------

    def make_contacts(self) -> None:
        """Create one to three contacts per company account (about two on average)."""
        forced_surnames = iter(("单", "曾", "解", "区", "单", "曾", "解"))
        for account in self.accounts:
            if account.kind == AccountKind.INDIVIDUAL:
                continue
            english = not search.has_chinese(account.name)
            for position in range(self.rng.choice((1, 2, 2, 2, 3, 3))):
                surname = next(forced_surnames, None)
                contact = (
                    self.english_contact(account)
                    if english
                    else self.chinese_contact(account, surname)
                )
                contact.is_primary = position == 0
                contact.owner = contact.created_by = contact.updated_by = account.owner
                contact.save()
                span = max(int((self.now - account.created_at).total_seconds()), 1)
                contact.created_at = account.created_at + datetime.timedelta(
                    seconds=self.rng.randrange(min(span, 86400 * 30))
                )
                contact.updated_at = max(contact.created_at, account.updated_at)
                self.contacts.append(contact)

    def _title(self, titles) -> tuple[str, str, str]:
        return self.rng.choice(titles)

    def chinese_contact(self, account: Account, surname: str | None) -> Contact:
        rng = self.rng
        surname, given, gender = chinese_name(rng, surname)
        title, role, department = self._title(CHINESE_TITLES)
        latin = latin_name(surname, given)
        domain = account.email.split("@")[1] if "@" in account.email else ""
        if domain and rng.random() < 0.7:
            email = f"{latin}@{domain}"
        elif rng.random() < 0.6:
            email = f"{latin}{rng.randint(1970, 1999)}@{rng.choice(PERSONAL_MAIL_DOMAINS)}"
        else:
            email = ""
        mobile = mobile_number(rng)[0] if rng.random() < 0.92 else ""
        phone = account.phone if rng.random() < 0.3 else ""
        return Contact(
            account=account,
            name=f"{surname}{given}",
            title=title,
            department=department,
            role=role,
            gender=gender if rng.random() < 0.9 else "",
            birthday=_birthday(rng) if rng.random() < 0.7 else None,
            mobile=mobile,
            phone=phone,
            email=email,
            wechat=_wechat(rng, latin) if rng.random() < 0.65 else "",
            preferences=rng.choice(("", "", "喜欢微信沟通", "上午不方便接电话", "偏好邮件")),
            custom={"hobby": rng.choice(HOBBIES)} if rng.random() < 0.4 else {},
        )

    def english_contact(self, account: Account) -> Contact:
        rng = self.rng
        first, last = rng.choice(ENGLISH_FIRST), rng.choice(ENGLISH_LAST)
        title, role, department = self._title(ENGLISH_TITLES)
        domain = account.email.split("@")[1]
        place = next(p for p in ENGLISH_PLACES if p.name == account.country)
        return Contact(
            account=account,
            name=f"{first} {last}",
            title=title,
            department=department,
            role=role,
            birthday=_birthday(rng) if rng.random() < 0.4 else None,
            mobile=_foreign_phone(rng, place),
            email=f"{first.lower()}.{last.lower()}@{domain}",
            wechat=f"{first.lower()}_{last.lower()}" if rng.random() < 0.3 else "",
            custom={"hobby": rng.choice(ENGLISH_HOBBIES)} if rng.random() < 0.4 else {},
        )

    def link_contacts(self) -> int:
        """Link about one contact in twelve to a further customer of the same owner.

        Consultants, group buyers and board members matter at more than one customer.
        """
        by_owner: dict[int, list[Account]] = {}
        for account in self.accounts:
            if account.kind == AccountKind.COMPANY:
                by_owner.setdefault(account.owner_id, []).append(account)
        links = []
        for contact in self.contacts[::12]:
            choices = [a for a in by_owner.get(contact.owner_id, []) if a.pk != contact.account_id]
            if choices:
                links.append(
                    AccountContact(
                        account=self.rng.choice(choices),
                        contact=contact,
                        role=self.rng.choice([ContactRole.INFLUENCER, ContactRole.TECHNICAL]),
                        title=self.rng.choice(["顾问", "技术顾问", "董事", "Advisor"]),
                        created_by=contact.owner,
                        updated_by=contact.owner,
                    )
                )
        AccountContact.objects.bulk_create(links)
        return len(links)

    # -- everything after the rows ------------------------------------------------------

    def finish(self) -> None:
        """Backdate the records, write their history and search keys."""
        Account.objects.bulk_update(self.accounts, ["created_at", "updated_at"], batch_size=500)
        Contact.objects.bulk_update(self.contacts, ["created_at", "updated_at"], batch_size=500)
        tokens = []
        for entity_name, records in (("account", self.accounts), ("contact", self.contacts)):
            for record in records:
                self.write_history(entity_name, record)
                tokens.extend(_search_tokens(entity_name, record))
        SearchToken.objects.bulk_create(tokens, batch_size=2000)

    def write_history(self, entity_name: str, record) -> None:
        after = audit.snapshot(record)
        changes = {
            key: [None, value] for key, value in after.items() if value not in (None, "", [])
        }
        entry = audit.record(
            actor=record.created_by,
            entity=entity_name,
            instance=record,
            action=AuditAction.CREATE,
            changes=changes,
        )
        entry.at = record.created_at
        self.audit_entries.append(entry)

    def share(self) -> int:
        """Share key accounts with the key-account team and a few with the channel team."""
        shares = []
        for account in self.accounts:
            team = None
            if account.custom.get("key_account"):
                team, access = self.org.teams["大客户攻坚组"], ShareAccess.EDIT
            elif account.province in ("浙江省", "江苏省", "上海市") and self.rng.random() < 0.15:
                team, access = self.org.teams["华东渠道组"], ShareAccess.READ
            if team is None:
                continue
            shares.append(
                Share(
                    entity="account",
                    object_id=account.pk,
                    team=team,
                    access=access,
                    created_by=account.owner,
                )
            )
            entry = audit.record(
                actor=account.owner,
                entity="account",
                instance=account,
                action=AuditAction.SHARE,
                changes={"shared_with": [None, team.name], "access": [None, access]},
            )
            entry.at = account.updated_at
            self.audit_entries.append(entry)
        Share.objects.bulk_create(shares)
        AuditEntry.objects.bulk_update(self.audit_entries, ["at"], batch_size=500)
        return len(shares)


def _search_tokens(entity_name: str, record) -> list[SearchToken]:
    from guanxi.core import registry

    keys = registry.get(entity_name).search_keys(record)
    return [
        SearchToken(entity=entity_name, object_id=record.pk, token=key)
        for key in search.clean_keys(keys)
    ]


def _birthday(rng: random.Random) -> datetime.date:
    return datetime.date(1962, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 36))


def _wechat(rng: random.Random, latin: str) -> str:
    if rng.random() < 0.5:
        return f"wxid_{rng.randrange(36**10):010x}"
    return f"{latin}_{rng.randint(1, 9999)}"


def _foreign_phone(rng: random.Random, place: Country) -> str:
    """Return a phone number of the place that passes validation (some ranges are unassigned)."""
    for _attempt in range(50):
        number = _foreign_phone_draw(rng, place)
        if normalize_phone(number):
            return number
    raise CommandError(f"No valid demo phone number for {place.name}.")


def _foreign_phone_draw(rng: random.Random, place: Country) -> str:
    if place.calling_code == "86":
        return landline_number(rng, CITIES[1])[0]
    if place.calling_code == "852":
        return f"+852 {rng.choice('23')}{rng.randrange(1000):03d} {rng.randrange(10000):04d}"
    if place.calling_code == "65":
        return f"+65 6{rng.randrange(1000):03d} {rng.randrange(10000):04d}"
    if place.calling_code == "1":
        return f"+1 (415) 555-01{rng.randrange(100):02d}"
    if place.calling_code == "44":
        return f"+44 20 7946 0{rng.randrange(1000):03d}"
    return f"+49 40 {rng.randrange(1000000, 9999999)}"


# ---------------------------------------------------------------------------------------
# Reset and the command
# ---------------------------------------------------------------------------------------


def demo_users():
    return User.objects.filter(**{f"preferences__{DEMO_MARK}": True})


@transaction.atomic
def delete_demo() -> None:
    """Remove what an earlier demo run created: its users, their records and the org tree."""
    users = list(demo_users().values_list("pk", flat=True))
    automation_demo.delete()
    approval_demo.delete(users)
    ImportRun.objects.filter(user__in=users).delete()
    care_demo.delete()
    demo_telesales.delete(users)
    demo_leads.delete(users)
    activities_demo.delete(users)
    calendar_demo.delete(users)
    demo_opportunities.delete(users)
    Group.objects.filter(owner__in=users).delete()
    for entity_name, model in (("contact", Contact), ("account", Account)):
        records = model.objects.filter(created_by__in=users)
        if entity_name == "contact":
            records = model.objects.filter(account__created_by__in=users) | records
        ids = list(records.values_list("pk", flat=True))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            SearchToken.objects.filter(entity=entity_name, object_id__in=chunk).delete()
            dedupe.unindex_records(entity_name, chunk)
            Share.objects.filter(entity=entity_name, object_id__in=chunk).delete()
            AuditEntry.objects.filter(entity=entity_name, object_id__in=chunk).delete()
            Tagging.objects.filter(entity=entity_name, object_id__in=chunk).delete()
            if model is Account:
                PointsEntry.objects.filter(account_id__in=chunk).delete()
            model.objects.filter(pk__in=chunk).delete()
    Territory.objects.filter(code="EAST-ZJ", name="浙江").delete()  # before its parent
    Territory.objects.filter(code__in=["EAST", "SOUTH"], name__in=["华东区", "华南区"]).delete()
    Pool.objects.filter(created_by__in=users).delete()
    User.objects.filter(pk__in=users).delete()
    for root in Department.objects.filter(name=COMPANY_NAME, parent=None):
        tree = Department.objects.filter(path__startswith=root.path)
        # Children first: a department protects its parent from deletion.
        for department in sorted(tree, key=lambda d: d.path.count("/"), reverse=True):
            department.delete()


class Command(BaseCommand):
    help = "Create realistic bilingual demo data (华信科技 / Huaxin Technology)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo data first.")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed.")
        parser.add_argument("--accounts", type=int, default=200, help="How many customers.")
        parser.add_argument(
            "--admin-password", default="", help="Password of user admin (default: random)."
        )

    def handle(self, *args, reset, seed, accounts, admin_password, **options):
        if demo_users().exists() and not reset:
            self.stdout.write("The demo data already exists; use --reset to create it again.")
            self.print_login(admin_password and self.ensure_admin(admin_password))
            return
        if accounts < 30:
            raise CommandError("Use at least 30 accounts, so every type and industry appears.")
        try:
            with transaction.atomic():
                if reset:
                    delete_demo()
                data = self.create(random.Random(seed), accounts)
                password = self.ensure_admin(admin_password)
            # Rules are switched on once the demo records are committed, so creating them
            # does not trigger the rules (no follow-up task for every demo customer).
            automation_demo.create(User.objects.get(username="wangjianguo"))
        except ProtectedError as error:
            raise CommandError(
                f"The demo data is still used by other records and was left as it is: {error}"
            ) from error
        self.report(data)
        self.print_login(password)

    def print_login(self, password: str) -> None:
        """Print the admin login; a generated password is kept beside the data to print again.

        The file is readable by its owner only; change the password (and delete the file)
        before the install holds real customers.
        """
        password_file = settings.DATA_DIR / "admin-password.txt"
        if password:
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        elif password_file.exists():
            password = password_file.read_text().strip()
        if password:
            self.stdout.write(f"Admin login: admin / {password}")
        else:
            self.stdout.write("Admin login: admin (the user existed; its password is unchanged)")

    def create(self, rng: random.Random, count: int) -> DemoData:
        organisation = create_organisation()
        ensure_custom_fields()
        data = DemoData(rng, organisation, timezone.now().replace(microsecond=0))
        # A few of the customers are copies entered twice, for the Duplicates screen.
        originals = count - demo_duplicates.ACCOUNT_COPIES
        data.make_accounts(
            originals, english=max(count * 3 // 20, 1), individuals=max(count // 40, 1)
        )
        data.make_contacts()
        data.link_contacts()
        for copy in demo_duplicates.add_duplicates(rng, data.accounts, data.contacts):
            (data.accounts if isinstance(copy, Account) else data.contacts).append(copy)
        data.finish()
        data.shares = data.share()
        demo_duplicates.index_and_scan()
        demo_import(
            user=organisation.users["wangjianguo"],
            account_names=[account.name for account in data.accounts[:10]],
        )
        data.pool = create_demo_pool(
            rng=rng, accounts=data.accounts, users=organisation.users, now=data.now
        )
        data.loyalty = loyalty_demo.create(rng, data.accounts)
        # Tags follow the grades the classification rules just set.
        classified = Account.objects.in_bulk([account.pk for account in data.accounts])
        data.labels = add_demo_labels(
            rng,
            accounts=[classified[account.pk] for account in data.accounts],
            contacts=data.contacts,
            users=organisation.users,
            now=data.now,
        )
        data.activities = activities_demo.create(
            rng,
            accounts=[classified[account.pk] for account in data.accounts],
            contacts=data.contacts,
            users=organisation.users,
            now=data.now,
        )
        calendar_demo.create(rng, users=organisation.users, now=data.now)
        demo_opportunities.create(
            rng,
            accounts=data.accounts,
            contacts=data.contacts,
            users=organisation.users,
            now=data.now,
        )
        demo_forecast.create(
            users=organisation.users,
            departments=organisation.departments,
            today=timezone.localdate(data.now),
        )
        data.care = care_demo.create(
            rng,
            accounts=data.accounts,
            contacts=data.contacts,
            author=organisation.users["wangjianguo"],
            today=timezone.localdate(data.now),
        )
        demo_telesales.create(rng, accounts=data.accounts, users=organisation.users, now=data.now)
        demo_leads.create(rng, users=organisation.users, now=data.now)
        business_calendar_demo.create()
        approval_demo.create(rng, users=organisation.users)
        return data

    def ensure_admin(self, password: str) -> str:
        """Create the superuser `admin` (or set its password when one is given)."""
        admin = User.objects.filter(username="admin").first()
        if admin is not None and not password:
            return ""
        password = password or secrets.token_urlsafe(12)
        if admin is None:
            admin = User(
                username="admin",
                display_name="系统管理员",
                email="admin@huaxin-tech.com",
                language="zh-hans",
                preferences={DEMO_MARK: True},
            )
        admin.is_superuser = admin.is_staff = admin.is_active = True
        admin.set_password(password)
        admin.save()
        return password

    def report(self, data: DemoData) -> None:
        self.stdout.write(
            f"Created {COMPANY_NAME} / Huaxin Technology: {len(DEPARTMENTS)} departments, "
            f"{len(TEAMS)} teams, {len(ROLES)} roles, {len(DEMO_USERS)} users, "
            f"{len(data.accounts)} customers, {len(data.contacts)} contacts, "
            f"{data.shares} shares, {data.pool.in_pool} customers in the public pool "
            f"{data.pool.pool.name}, {data.labels['tags']} tags on records, "
            f"{data.labels['groups']} groups, {data.labels['consents']} consent records, "
            f"{data.loyalty['points_entries']} points entries, "
            f"{data.loyalty['classified']} customers classified by rules, "
            f"{data.activities['activities']} activities, "
            f"{data.care['care_tasks']} care tasks."
        )
        self.stdout.write(f"Users (password {DEMO_PASSWORD}):")
        for spec in DEMO_USERS:
            self.stdout.write(
                f"  {spec.username:<14} {spec.display_name:<14} {', '.join(spec.roles)}"
            )
