"""Demo duplicates: a few customers and contacts entered twice, as happens in real life.

Each copy is made from a demo record the way colleagues re-enter it (traditional
characters, another legal suffix, pinyin, a reformatted phone, names in the other order),
so the Duplicates screens have groups to show and merge after `guanxi demo`.
"""

from __future__ import annotations

import random

import zhconv
from pypinyin import lazy_pinyin

from guanxi.core import dedupe, search
from guanxi.core.dedupe.scan import scan_and_store
from guanxi.core.services import sequence_next
from guanxi.customers.models import Account, Contact

ACCOUNT_COPIES = 6
CONTACT_COPIES = 6


def _spaced_phone(e164: str) -> str:
    national = e164.removeprefix("+86")
    if national.startswith("1"):
        return f"+86 {national[:3]} {national[3:7]} {national[7:]}"
    return f"(0{national[:-8]}) {national[-8:-4]}-{national[-4:]}"


def _account_copy(rng: random.Random, account: Account, variation: int) -> Account:
    core = search.strip_company_name(account.name)
    names = [
        zhconv.convert(account.name, "zh-hant"),
        account.name.replace("有限公司", "集团"),
        " ".join(lazy_pinyin(core)).title() + " Co., Ltd.",
    ]
    return Account(
        name=names[variation % len(names)][:200],
        account_type=account.account_type,
        kind=account.kind,
        industry=account.industry,
        phone=_spaced_phone(account.phone_e164) if account.phone_e164 else "",
        email=account.email.upper() if variation % 2 else "",
        city=account.city,
        province=account.province,
        address=account.address,
        currency=account.currency,
    )


def _contact_copy(contact: Contact, variation: int) -> Contact:
    if search.has_chinese(contact.name):
        syllables = lazy_pinyin(contact.name)
        names = [
            f"{''.join(syllables[1:]).title()} {syllables[0].title()}",
            zhconv.convert(contact.name, "zh-hant"),
        ]
    else:
        names = [" ".join(reversed(contact.name.split()))]
    return Contact(
        account=contact.account,
        name=names[variation % len(names)],
        title=contact.title,
        mobile=_spaced_phone(contact.mobile_e164) if contact.mobile_e164 else "",
        email=contact.email.upper() if variation % 2 else "",
    )


def add_duplicates(rng: random.Random, accounts: list[Account], contacts: list[Contact]):
    """Return copies of some demo records, saved, owned by someone else than the original."""
    copies: list = []
    candidates = [a for a in accounts if search.has_chinese(a.name) and a.phone_e164]
    for variation, account in enumerate(rng.sample(candidates, ACCOUNT_COPIES)):
        copy = _account_copy(rng, account, variation)
        copy.owner = copy.created_by = copy.updated_by = rng.choice(accounts).owner
        copy.number = sequence_next(key="C", prefix="C")
        copy.save()
        copies.append(copy)
    with_mobiles = [c for c in contacts if c.mobile_e164]
    for variation, contact in enumerate(rng.sample(with_mobiles, CONTACT_COPIES)):
        copy = _contact_copy(contact, variation)
        copy.owner = copy.created_by = copy.updated_by = contact.owner
        copy.save()
        copies.append(copy)
    return copies


def index_and_scan() -> None:
    """Build the duplicate keys of every customer and contact, then run the finder."""
    for entity_name in ("account", "contact"):
        dedupe.reindex(entity_name)
        scan_and_store(entity_name)
