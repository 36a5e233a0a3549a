#!/usr/bin/env python
"""Generate benchmark data fast: N accounts, N × 2 contacts and their search keys.

    python bench/generate.py --accounts 1000000 [--contacts-per-account 2]

Uses DJANGO_SETTINGS_MODULE=guanxi.settings and honours DATABASE_URL. The organisation
(200 users in 20 departments under 压测公司, the role 压测销售代表 with scope
department_tree, the superuser bench_admin; password guanxi-bench) is created once with the
ORM; the records are then written in bulk, after the ones already there (a second run adds
N more; numbers come from the sequence "C" like every account's):

- PostgreSQL: the secondary indexes of the three tables are dropped, one worker process per
  core computes rows and streams them with COPY on its own connection (foreign-key triggers
  off when the role is a superuser), then the indexes are rebuilt exactly as they were
  (pg_get_indexdef), the id sequences are moved past the new rows and VACUUM (ANALYZE) runs.
- SQLite: one transaction with PRAGMA synchronous=OFF, indexes dropped and rebuilt inside
  it; worker processes compute the rows, the main process writes them with executemany.

Company names are built from parts (city + brand characters + industry + legal form) by a
bijection of the record's number, so all are distinct. Search keys come from the search
module's own functions; pinyin is memoised (names share their parts). Phone keys are
derived from the generated digits, after a sample of rows was checked against
Account.save/Contact.save and the entities' key functions (otherwise every key is computed
by those functions, more slowly).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import math
import multiprocessing
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
# A benchmark never serves requests; it only needs some key to import the settings.
os.environ.setdefault("SECRET_KEY", "guanxi-bench-not-secret")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import F, Max  # noqa: E402

from guanxi.core import demo_names as demo  # noqa: E402
from guanxi.core import org, search  # noqa: E402
from guanxi.core.choices import Scope  # noqa: E402
from guanxi.core.models import Department, Role, Sequence, User  # noqa: E402
from guanxi.core.phones import normalize_phone  # noqa: E402
from guanxi.customers import entities  # noqa: E402
from guanxi.customers.models import Account, Contact  # noqa: E402

BENCH_PASSWORD = "guanxi-bench"
ROOT_DEPARTMENT = "压测公司"
REGIONS = {
    "华东大区": ("上海分部", "杭州分部", "南京分部", "苏州分部"),
    "华南大区": ("广州分部", "深圳分部", "厦门分部", "佛山分部"),
    "华北大区": ("北京分部", "天津分部", "青岛分部", "郑州分部"),
    "西部大区": ("成都分部", "重庆分部", "西安分部", "武汉分部"),
}
ROLE_NAME = "压测销售代表"
REP_USERNAME = "bench_u001"  # in 华东大区: scope department_tree covers a quarter of the owners
ADMIN_USERNAME = "bench_admin"
TABLES = ("customers_account", "customers_contact", "core_searchtoken")
ACCOUNT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "custom",
    "version",
    "number",
    "name",
    "account_type",
    "kind",
    "grade",
    "industry",
    "source",
    "phone",
    "phone_e164",
    "email",
    "website",
    "country",
    "province",
    "city",
    "address",
    "postal_code",
    "annual_revenue",
    "currency",
    "employees",
    "description",
    "created_by_id",
    "owner_id",
    "updated_by_id",
    "relationship",
    "loyalty",
    "value_class",
    "lifecycle_stage",
    "classification_manual",
    "points_balance",
    "points_lifetime",
)
CONTACT_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "custom",
    "version",
    "name",
    "title",
    "department",
    "role",
    "gender",
    "birthday",
    "mobile",
    "mobile_e164",
    "phone",
    "phone_e164",
    "email",
    "wechat",
    "id_number",
    "address",
    "is_primary",
    "preferences",
    "notes",
    "account_id",
    "created_by_id",
    "owner_id",
    "updated_by_id",
)
TOKEN_COLUMNS = ("entity", "object_id", "token")
ENGLISH_EVERY = 25  # one account in 25 has an English name
ENGLISH_SLOT = 11
CHINESE_FORMS = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司")
ENGLISH_FORMS = ("Co., Ltd.", "Ltd.", "Limited", "Inc.")
ACCOUNT_TYPES = ("customer",) * 45 + ("prospect",) * 30 + ("partner",) * 8 + ("reseller",) * 7
ACCOUNT_TYPES += ("competitor",) * 5 + ("other",) * 5
RELATIONSHIPS = ("business", "business", "channel", "consumer")
LOYALTIES = ("loyal", "returning", "new", "potential", "")
VALUE_CLASSES = ("lighthouse", "follower", "rational", "bargain", "")
LIFECYCLE_STAGES = (
    "suspect",
    "prospect",
    "first_purchase",
    "repeat",
    "loyal",
    "dormant",
    "lost",
    "",
)
GRADES = ("vip",) * 10 + ("important",) * 25 + ("ordinary",) * 50 + ("",) * 15
SOURCES = (
    "referral",
    "website",
    "exhibition",
    "cold_call",
    "advertising",
    "partner",
    "social",
    "other",
    "",
)
REVENUE_BASES = (50, 120, 300, 800, 2000, 5000, 20000, 80000)
EMPLOYEES = (12, 35, 80, 150, 300, 600, 1200, 5000)
EMAIL_BOXES = ("info", "sales", "contact", "service")


# ---------------------------------------------------------------------------------------
# Names: a bijection from a record number to a distinct company name
# ---------------------------------------------------------------------------------------

BRANDS = demo.BRAND_CHARS
CHINESE_RADIX = (
    len(demo.CITIES),
    len(BRANDS),
    len(BRANDS),
    len(demo.INDUSTRY_WORDS),
    len(CHINESE_FORMS),
)
ENGLISH_RADIX = (
    len(demo.ENGLISH_BRANDS),
    len(demo.ENGLISH_INDUSTRIES),
    len(demo.CITIES),
    len(ENGLISH_FORMS),
)


@functools.cache
def _scrambler(capacity: int) -> int:
    """Return a multiplier coprime to capacity, so i → i × m mod capacity is a bijection."""
    multiplier = 1_000_003
    while math.gcd(multiplier, capacity) != 1:
        multiplier += 2
    return multiplier


@functools.cache
def _capacity(radix: tuple[int, ...]) -> int:
    return math.prod(radix)


def _digits(value: int, radix: tuple[int, ...]) -> list[int]:
    digits = []
    for base in radix:
        value, digit = divmod(value, base)
        digits.append(digit)
    return digits


def _scrambled(index: int, radix: tuple[int, ...]) -> tuple[list[int], int]:
    capacity = _capacity(radix)
    rounds, index = divmod(index, capacity)
    return _digits(index * _scrambler(capacity) % capacity, radix), rounds


def company_name(number: int) -> tuple[str, demo.City, str, str, bool]:
    """Return (name, city, brand, industry value, english) of the account with this number."""
    block, slot = divmod(number, ENGLISH_EVERY)
    if slot == ENGLISH_SLOT:
        (brand, industry, city, form), rounds = _scrambled(block, ENGLISH_RADIX)
        brand_name = demo.ENGLISH_BRANDS[brand]
        word, value = demo.ENGLISH_INDUSTRIES[industry]
        city_info = demo.CITIES[city]
        branch = f" {rounds + 1}" if rounds else ""
        name = f"{brand_name} {word} ({city_info.english}{branch}) {ENGLISH_FORMS[form]}"
        return name, city_info, brand_name, value, True
    index = number - block - (1 if slot > ENGLISH_SLOT else 0)
    (city, first, second, industry, form), rounds = _scrambled(index, CHINESE_RADIX)
    city_info = demo.CITIES[city]
    brand = BRANDS[first] + BRANDS[second]
    word, value = demo.INDUSTRY_WORDS[industry]
    branch = f"第{rounds + 1}分公司" if rounds else ""
    return (
        f"{city_info.name}{brand}{word}{CHINESE_FORMS[form]}{branch}",
        city_info,
        brand,
        value,
        False,
    )


# ---------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to make the rows of any chunk, independently."""

    vendor: str
    seed: int
    owners: tuple[int, ...]
    first_number: int  # sequence value of the first new account
    number_prefix: str
    number_padding: int
    account_id: int  # id of the first new account
    contact_id: int
    contacts_per_account: int
    fast_phones: bool = True


class RowMaker:
    """Make the account, contact and search-token rows of one chunk of accounts.

    Written for speed (about 25 search keys and three rows per account, a million times):
    random picks index with rng.random(), pools are prepared once, pinyin is memoised.
    """

    def __init__(self, plan: Plan):
        self.plan = plan
        postgres = plan.vendor == "postgresql"
        self.null = r"\N" if postgres else None
        self.true, self.false = ("t", "f") if postgres else ("1", "0")
        self.moments = _moments(random.Random(plan.seed), postgres)
        self.birthdays = [
            (datetime.date(1962, 1, 1) + datetime.timedelta(days=day)).isoformat()
            for day in range(365 * 36)
        ]
        self.owners = [str(owner) for owner in plan.owners]
        self.person_keys: dict[str, list[str]] = {}
        address_rng = random.Random(plan.seed + 1)
        self.addresses = {
            city.name: [demo.chinese_address(address_rng, city) for _ in range(1024)]
            for city in demo.CITIES
        }
        self.domains: dict[str, str] = {}

    def chunk(self, start: int, count: int, rng: random.Random):
        """Return (account rows, contact rows, token rows) of accounts start … start+count-1."""
        accounts: list[tuple] = []
        contacts: list[tuple] = []
        keys: list[tuple[str, int, list[str]]] = []
        for offset in range(start, start + count):
            self.account(offset, rng, accounts, contacts, keys)
        tokens: list = []
        clean = search.clean_keys
        if self.null is None:
            for entity, object_id, record_keys in keys:
                tokens.extend([(entity, object_id, key) for key in clean(record_keys)])
        else:
            for entity, object_id, record_keys in keys:
                prefix = f"{entity}\t{object_id}\t"
                tokens.append(prefix + f"\n{prefix}".join(clean(record_keys)) + "\n")
        return accounts, contacts, tokens

    def domain(self, brand: str, english: bool) -> str:
        domain = self.domains.get(brand)
        if domain is None:
            domain = (
                f"{brand.lower().replace(' ', '')}.com"
                if english
                else demo.company_domain(brand, "")
            )
            self.domains[brand] = domain
        return domain

    def account(self, offset: int, rng: random.Random, accounts, contacts, keys) -> None:
        plan = self.plan
        rand = rng.random
        number_value = plan.first_number + offset
        number = f"{plan.number_prefix}{number_value:0{plan.number_padding}d}"
        name, city, brand, industry, english = company_name(number_value - 1)
        account_id = plan.account_id + offset
        owner = self.owners[int(rand() * len(self.owners))]
        created, updated = self.moments[int(rand() * 8192)]
        if rand() < 0.8:
            phone, e164, phone_keys = self.landline(rng, city)
        else:
            phone, e164, phone_keys = self.mobile(rng)
        domain = self.domain(brand, english)
        email = f"{EMAIL_BOXES[int(rand() * 4)]}@{domain}" if rand() < 0.85 else ""
        address, postal = self.addresses[city.name][int(rand() * 1024)]
        revenue = REVENUE_BASES[int(rand() * 8)] * (80 + int(rand() * 46)) * 100000
        accounts.append(
            (
                str(account_id),
                created,
                updated,
                "{}",
                "1",
                number,
                name,
                ACCOUNT_TYPES[int(rand() * 100)],
                "company",
                GRADES[int(rand() * 100)],
                industry,
                SOURCES[int(rand() * 9)],
                phone,
                e164,
                email,
                f"https://www.{domain}" if rand() < 0.7 else "",
                "中国",
                city.province,
                city.city,
                address,
                postal,
                f"{revenue}.00",
                "CNY",
                str(EMPLOYEES[int(rand() * 8)] + int(rand() * 10)),
                "",
                owner,
                owner,
                owner,
                RELATIONSHIPS[int(rand() * 4)],
                LOYALTIES[int(rand() * 5)],
                VALUE_CLASSES[int(rand() * 5)],
                LIFECYCLE_STAGES[int(rand() * 8)],
                "[]",
                "0",
                "0",
            )
        )
        record_keys = search.company_name_keys(name)
        record_keys.append(number.lower())
        record_keys.extend(phone_keys)
        if email:
            record_keys.extend(search.email_keys(email))
        keys.append(("account", account_id, record_keys))
        make = self.english_contact if english else self.chinese_contact
        contact_id = plan.contact_id + offset * plan.contacts_per_account
        for position in range(plan.contacts_per_account):
            office = (phone, e164, phone_keys) if rand() < 0.2 else ("", "", [])
            make(
                rng,
                contact_id + position,
                account_id,
                owner,
                (created, updated),
                domain,
                office,
                position == 0,
                contacts,
                keys,
            )

    def chinese_contact(
        self, rng, contact_id, account_id, owner, moment, domain, office, primary, contacts, keys
    ) -> None:
        rand = rng.random
        surname, given, gender = demo.chinese_name(rng)
        name = surname + given
        latin = demo.latin_name(surname, given)
        roll = rand()
        if roll < 0.6:
            email = f"{latin}@{domain}"
        elif roll < 0.85:
            mail_domain = demo.PERSONAL_MAIL_DOMAINS[int(rand() * 6)]
            email = f"{latin}{1970 + int(rand() * 36)}@{mail_domain}"
        else:
            email = ""
        title, role, department = demo.CHINESE_TITLES[int(rand() * len(demo.CHINESE_TITLES))]
        wechat = f"{latin}_{int(rand() * 10000)}" if rand() < 0.6 else ""
        name_keys = self.person_keys.get(name)
        if name_keys is None:
            name_keys = self.person_keys[name] = search.person_name_keys(name)
        self.contact_row(
            rng,
            contact_id,
            account_id,
            owner,
            moment,
            name,
            title,
            department,
            role,
            gender,
            email,
            wechat,
            office,
            primary,
            name_keys,
            contacts,
            keys,
        )

    def english_contact(
        self, rng, contact_id, account_id, owner, moment, domain, office, primary, contacts, keys
    ) -> None:
        rand = rng.random
        first = demo.ENGLISH_FIRST[int(rand() * len(demo.ENGLISH_FIRST))]
        last = demo.ENGLISH_LAST[int(rand() * len(demo.ENGLISH_LAST))]
        name = f"{first} {last}"
        title, role, department = demo.ENGLISH_TITLES[int(rand() * len(demo.ENGLISH_TITLES))]
        name_keys = self.person_keys.get(name)
        if name_keys is None:
            name_keys = self.person_keys[name] = search.person_name_keys(name)
        self.contact_row(
            rng,
            contact_id,
            account_id,
            owner,
            moment,
            name,
            title,
            department,
            role,
            "",
            f"{first.lower()}.{last.lower()}@{domain}",
            "",
            office,
            primary,
            name_keys,
            contacts,
            keys,
        )

    def contact_row(
        self,
        rng,
        contact_id,
        account_id,
        owner,
        moment,
        name,
        title,
        department,
        role,
        gender,
        email,
        wechat,
        office,
        primary,
        name_keys,
        contacts,
        keys,
    ) -> None:
        rand = rng.random
        if rand() < 0.92:
            mobile, mobile_e164, mobile_keys = self.mobile(rng)
        else:
            mobile, mobile_e164, mobile_keys = "", "", []
        phone, phone_e164, phone_keys = office
        birthday = self.birthdays[int(rand() * 13140)] if rand() < 0.6 else self.null
        contacts.append(
            (
                str(contact_id),
                moment[0],
                moment[1],
                "{}",
                "1",
                name,
                title,
                department,
                role,
                gender,
                birthday,
                mobile,
                mobile_e164,
                phone,
                phone_e164,
                email,
                wechat,
                "",
                "",
                self.true if primary else self.false,
                "",
                "",
                str(account_id),
                owner,
                owner,
                owner,
            )
        )
        record_keys = [*name_keys, *mobile_keys, *phone_keys]
        if email:
            record_keys.extend(search.email_keys(email))
        keys.append(("contact", contact_id, record_keys))

    def landline(self, rng: random.Random, city: demo.City) -> tuple[str, str, list[str]]:
        text, e164 = demo.landline_number(rng, city)
        if not self.plan.fast_phones:
            return text, normalize_phone(text), search.phone_keys(text)
        national = e164[3:]
        return text, e164, [e164[1:], national, national[len(city.area_code) :]]

    def mobile(self, rng: random.Random) -> tuple[str, str, list[str]]:
        text, e164 = demo.mobile_number(rng)
        if not self.plan.fast_phones:
            return text, normalize_phone(text), search.phone_keys(text)
        return text, e164, [e164[1:], e164[3:]]


def _moments(rng: random.Random, postgres: bool) -> list[tuple[str, str]]:
    """Return a pool of (created, updated) timestamps over the last three years."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0, tzinfo=None)
    suffix = "+00" if postgres else ""
    pool = []
    for _ in range(8192):
        created = now - datetime.timedelta(seconds=rng.randrange(3 * 365 * 86400))
        updated = created + datetime.timedelta(
            seconds=rng.randrange(max(int((now - created).total_seconds()), 1))
        )
        pool.append(
            (f"{created:%Y-%m-%d %H:%M:%S}{suffix}", f"{updated:%Y-%m-%d %H:%M:%S}{suffix}")
        )
    return pool


def verify_keys(plan: Plan, sample: int = 1500) -> bool:
    """Tell whether the rows' e164 columns and search keys equal what the models would compute.

    The shortcut for phone keys (the numbers are generated, so their E.164 form is known)
    is only used when it gives exactly what Account.save and the entities' key functions do.
    """
    maker = RowMaker(plan)
    accounts, contacts, tokens = maker.chunk(
        0, sample // plan.contacts_per_account or 1, random.Random(1)
    )
    by_record: dict[tuple[str, int], list[str]] = {}
    rows = (
        tokens
        if plan.vendor != "postgresql"
        else [line.split("\t") for line in "".join(tokens).splitlines()]
    )
    for entity, object_id, key in rows:
        by_record.setdefault((entity, int(object_id)), []).append(key)
    for row in accounts:
        record = Account(
            **dict(zip(ACCOUNT_COLUMNS[5:7], row[5:7], strict=True)), phone=row[12], email=row[14]
        )
        expected = search.clean_keys(entities.account_search_keys(record))
        if normalize_phone(row[12]) != row[13] or by_record[("account", int(row[0]))] != expected:
            print(f"  shortcut differs for account {row[6]}: {expected}")
            return False
    for row in contacts:
        record = Contact(name=row[5], mobile=row[11], phone=row[13], email=row[15])
        expected = search.clean_keys(entities.contact_search_keys(record))
        if normalize_phone(row[11]) != row[12] or by_record[("contact", int(row[0]))] != expected:
            print(f"  shortcut differs for contact {row[5]}: {expected}")
            return False
    return True


# ---------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------

_maker: RowMaker | None = None
_copy_connection = None
_pinyin_keys = search.pinyin_keys
_pinyin_known: dict[str, list[str]] = {}


def _memoised_pinyin_keys(text: str, *, person: bool = False) -> list[str]:
    """Return search.pinyin_keys(text, person=person), remembered (a pure function)."""
    key = f"{text}|{person:d}"
    keys = _pinyin_known.get(key)
    if keys is None:
        keys = _pinyin_known[key] = _pinyin_keys(text, person=person)
    return keys


def _pinyin_batch(texts: list[str]) -> list[list[str]]:
    return [_pinyin_keys(text) for text in texts]


def warm_pinyin(workers: int) -> None:
    """Compute the pinyin keys of every company core name (brand + industry) in parallel.

    Each core recurs in hundreds of names; the loading workers are forked afterwards and
    share the result instead of each computing it again.
    """
    started = time.perf_counter()
    cores = [a + b + word for a in BRANDS for b in BRANDS for word, _v in demo.INDUSTRY_WORDS]
    batches = [cores[start : start + 5000] for start in range(0, len(cores), 5000)]
    with multiprocessing.Pool(workers) as pool:
        for batch, results in zip(batches, pool.map(_pinyin_batch, batches), strict=True):
            for text, keys in zip(batch, results, strict=True):
                _pinyin_known[f"{text}|0"] = keys
    print(
        f"Pinyin of {len(cores):,} company core names in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def _worker_init(plan: Plan, replica: bool) -> None:
    global _maker, _copy_connection
    search.pinyin_keys = _memoised_pinyin_keys
    _maker = RowMaker(plan)
    if plan.vendor == "postgresql":
        connection.ensure_connection()
        _copy_connection = connection.connection
        _copy_connection.autocommit = True
        with _copy_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            if replica:
                # Skip the foreign-key triggers: the rows are consistent by construction.
                cursor.execute("SET session_replication_role = replica")


def _chunk_rng(plan: Plan, start: int) -> random.Random:
    return random.Random(plan.seed * 1_000_003 + start)


def _pg_chunk(task: tuple[int, int]) -> tuple[int, int, int]:
    start, count = task
    accounts, contacts, tokens = _maker.chunk(start, count, _chunk_rng(_maker.plan, start))
    token_text = "".join(tokens)
    with _copy_connection.transaction(), _copy_connection.cursor() as cursor:
        for table, columns, text in (
            (
                "customers_account",
                ACCOUNT_COLUMNS,
                "".join(["\t".join(row) + "\n" for row in accounts]),
            ),
            (
                "customers_contact",
                CONTACT_COLUMNS,
                "".join(["\t".join(row) + "\n" for row in contacts]),
            ),
            ("core_searchtoken", TOKEN_COLUMNS, token_text),
        ):
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write(text.encode())
    return len(accounts), len(contacts), token_text.count("\n")


def _sqlite_chunk(task: tuple[int, int]):
    start, count = task
    return _maker.chunk(start, count, _chunk_rng(_maker.plan, start))


# ---------------------------------------------------------------------------------------
# The organisation
# ---------------------------------------------------------------------------------------


@transaction.atomic
def ensure_organisation(user_count: int) -> list[int]:
    """Create (once) the bench departments, role and users; return the owners' ids."""
    root = Department.objects.filter(name=ROOT_DEPARTMENT, parent=None).first()
    if root is None:
        root = org.department_create(name=ROOT_DEPARTMENT)
        for region, branches in REGIONS.items():
            parent = org.department_create(name=region, parent=root)
            for branch in branches:
                org.department_create(name=branch, parent=parent)
    departments = list(Department.objects.filter(path__startswith=root.path).exclude(pk=root.pk))
    # Region, its branches, next region, …: bench_u001 lands in 华东大区.
    departments.sort(key=lambda d: [int(part) for part in d.path.strip("/").split("/")])
    role, _created = Role.objects.get_or_create(
        name=ROLE_NAME, defaults={"description": "Bench: sales rep, department and below."}
    )
    org.role_set_permissions(
        role=role,
        permissions=[
            {
                "entity": entity,
                "actions": ["view", "create", "edit", "export"],
                "scope": Scope.DEPARTMENT_TREE,
            }
            for entity in ("account", "contact")
        ],
    )
    existing = set(
        User.objects.filter(username__startswith="bench_u").values_list("username", flat=True)
    )
    password = make_password(BENCH_PASSWORD)
    rng = random.Random(7)
    new_users = []
    for number in range(1, user_count + 1):
        username = f"bench_u{number:03d}"
        if username in existing:
            continue
        surname, given, _gender = demo.chinese_name(rng)
        new_users.append(
            User(
                username=username,
                password=password,
                display_name=surname + given,
                last_name=surname,
                first_name=given,
                language="zh-hans",
                department=departments[(number - 1) % len(departments)],
            )
        )
    User.objects.bulk_create(new_users)
    role.users.add(*User.objects.filter(username__startswith="bench_u"))
    if not User.objects.filter(username=ADMIN_USERNAME).exists():
        User.objects.create(
            username=ADMIN_USERNAME,
            password=password,
            is_superuser=True,
            is_staff=True,
            display_name="压测管理员",
            language="zh-hans",
        )
    return list(
        User.objects.filter(username__startswith="bench_u")
        .order_by("id")
        .values_list("id", flat=True)[:user_count]
    )


@transaction.atomic
def reserve_numbers(count: int) -> tuple[int, str, int]:
    """Reserve `count` customer numbers of rule "C"; return (first value, prefix, padding)."""
    sequence, _created = Sequence.objects.select_for_update().get_or_create(
        key="C", defaults={"prefix": "C", "padding": 6}
    )
    Sequence.objects.filter(pk=sequence.pk).update(next_value=F("next_value") + count)
    return sequence.next_value, sequence.prefix, sequence.padding


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


def _tasks(total: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(size, total - start)) for start in range(0, total, size)]


class Progress:
    def __init__(self, total: int):
        self.total = total
        self.done = [0, 0, 0]
        self.started = time.perf_counter()
        self.last = 0.0

    def add(self, counts) -> None:
        self.done = [a + b for a, b in zip(self.done, counts, strict=True)]
        elapsed = time.perf_counter() - self.started
        if elapsed - self.last >= 10 or self.done[0] == self.total:
            self.last = elapsed
            rate = self.done[0] / elapsed if elapsed else 0
            print(
                f"  {self.done[0]:>10,} accounts {self.done[1]:>11,} contacts "
                f"{self.done[2]:>12,} search keys  {elapsed:7.1f} s  ({rate:,.0f} accounts/s)",
                flush=True,
            )


def pg_secondary_indexes(cursor) -> list[tuple[str, str]]:
    """Return (name, definition) of the indexes of the tables that back no constraint.

    The search-token indexes come first: they are the biggest, and two connections build
    them side by side.
    """
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid), t.relname
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
        """,
        [list(TABLES)],
    )
    rows = sorted(cursor.fetchall(), key=lambda row: (-TABLES.index(row[2]), row[0]))
    return [(name, definition) for name, definition, _table in rows]


def _pg_build_index(definition: str) -> float:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            # The search-token sorts (25 million rows at 1M accounts) fit in memory at 2 GB.
            cursor.execute("SET maintenance_work_mem = '2GB'")
            cursor.execute("SET max_parallel_maintenance_workers = 0")
            cursor.execute(definition)
    finally:
        connection.close()
    return time.perf_counter() - started


def pg_rebuild_indexes(indexes: list[tuple[str, str]], workers: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    # One index per connection at a time, as many connections as cores; biggest first.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for (name, _definition), seconds in zip(
            indexes, pool.map(_pg_build_index, [d for _n, d in indexes]), strict=True
        ):
            print(f"  index {name}: {seconds:.1f} s", flush=True)
    print(f"Indexes rebuilt in {time.perf_counter() - started:.1f} s", flush=True)


def load_postgresql(plan: Plan, tasks, workers: int, vacuum: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        replica = bool(cursor.fetchone()[0])
        indexes = pg_secondary_indexes(cursor)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    print(
        f"Dropped {len(indexes)} secondary indexes; loading with COPY "
        f"({workers} workers{', foreign-key triggers off' if replica else ''})",
        flush=True,
    )
    connections.close_all()  # the workers are forked: none may inherit a connection
    progress = Progress(plan_total(tasks))
    try:
        with multiprocessing.Pool(workers, _worker_init, (plan, replica)) as pool:
            for counts in pool.imap_unordered(_pg_chunk, tasks):
                progress.add(counts)
    finally:
        pg_rebuild_indexes(indexes, workers)
    with connection.cursor() as cursor:
        for table in TABLES[:2]:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        started = time.perf_counter()
        command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
        for table in TABLES:
            cursor.execute(f"{command} {table}")
        for table in ("core_user", "core_department", "core_share"):
            cursor.execute(f"ANALYZE {table}")
        print(f"{command} in {time.perf_counter() - started:.1f} s", flush=True)


def load_sqlite(plan: Plan, tasks, workers: int) -> None:
    progress = Progress(plan_total(tasks))
    connections.close_all()  # the workers are forked: none may inherit a connection
    pool = multiprocessing.Pool(workers, _worker_init, (plan, False))
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("PRAGMA synchronous = OFF")
    raw.execute("PRAGMA cache_size = -1000000")
    raw.execute("PRAGMA temp_store = MEMORY")
    raw.execute("BEGIN IMMEDIATE")
    try:
        parameters = ", ".join("?" * len(TABLES))
        indexes = raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({parameters})",
            TABLES,
        ).fetchall()
        for name, _sql in indexes:
            raw.execute(f'DROP INDEX "{name}"')
        print(f"Dropped {len(indexes)} secondary indexes; loading in one transaction", flush=True)
        statements = [
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            for table, columns in (
                ("customers_account", ACCOUNT_COLUMNS),
                ("customers_contact", CONTACT_COLUMNS),
                ("core_searchtoken", TOKEN_COLUMNS),
            )
        ]
        with pool:
            for rows in pool.imap_unordered(_sqlite_chunk, tasks):
                for statement, batch in zip(statements, rows, strict=True):
                    raw.executemany(statement, batch)
                progress.add([len(batch) for batch in rows])
        started = time.perf_counter()
        for _name, sql in indexes:
            raw.execute(sql)
        print(f"Indexes rebuilt in {time.perf_counter() - started:.1f} s", flush=True)
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    started = time.perf_counter()
    raw.execute("ANALYZE")
    print(f"ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)


def plan_total(tasks) -> int:
    return sum(count for _start, count in tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--contacts-per-account", type=int, default=2)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=5000, help="Accounts per batch.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--no-vacuum",
        dest="vacuum",
        action="store_false",
        help="PostgreSQL: only ANALYZE. By default VACUUM (ANALYZE) runs, which also sets the "
        "visibility map (index-only scans) and hint bits, a few seconds more.",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    vendor = connection.vendor
    print(f"Database: {vendor} {connection.settings_dict['NAME']}", flush=True)
    owners = ensure_organisation(args.users)
    first_number, prefix, padding = reserve_numbers(args.accounts)
    plan = Plan(
        vendor=vendor,
        seed=args.seed,
        owners=tuple(owners),
        first_number=first_number,
        number_prefix=prefix,
        number_padding=padding,
        account_id=(Account.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
        contact_id=(Contact.objects.aggregate(m=Max("id"))["m"] or 0) + 1,
        contacts_per_account=args.contacts_per_account,
    )
    if not verify_keys(plan):
        print(
            "The phone shortcut no longer matches guanxi.core.phones: computing every key "
            "with the search functions (slower).",
            flush=True,
        )
        plan = dataclasses.replace(plan, fast_phones=False)
    print(
        f"{len(owners)} owners; generating {args.accounts:,} accounts and "
        f"{args.accounts * args.contacts_per_account:,} contacts",
        flush=True,
    )
    tasks = _tasks(args.accounts, args.chunk)
    connections.close_all()  # the workers are forked: none may inherit a connection
    if args.accounts >= 100_000:  # below that, most core names occur once: memoise lazily
        warm_pinyin(args.workers)
    if vendor == "postgresql":
        load_postgresql(plan, tasks, args.workers, args.vacuum)
    else:
        load_sqlite(plan, tasks, args.workers)
    print(f"Done in {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
