"""A labelled set of customers and contacts for measuring duplicate detection.

Each true record may have variants made the way people re-enter them: another legal suffix,
traditional characters, full-width letters, pinyin, a typo, names in the other order, a
reformatted phone, an upper-cased or dotted email, fields left out. Hard negatives come
free: common surnames and given names, shared brand words, one switchboard per company.
`evaluate` scores every pair that shares a blocking key, as the finder does, joins the
matches into clusters and returns pairwise precision and recall.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from itertools import combinations

import zhconv
from pypinyin import lazy_pinyin

from guanxi.core import demo_names as demo
from guanxi.core.dedupe import engine
from guanxi.core.dedupe.scan import MAX_BLOCK, Clusters, Edge


@dataclass
class Case:
    truth: int  # records with the same truth are the same customer or person
    values: dict
    variation: str = "original"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    index = rng.randrange(1, len(text) - 1)
    if rng.random() < 0.5:
        return text[:index] + text[index + 1 :]
    return text[:index] + text[index + 1] + text[index] + text[index + 2 :]


def reformat_phone(rng: random.Random, e164_digits: str) -> str:
    national = e164_digits[2:]
    if national.startswith("1"):
        return rng.choice(
            [f"+86 {national[:3]} {national[3:7]} {national[7:]}", f"{national[:3]}-{national[3:]}"]
        )
    return f"0{national[:-8]}-{national[-8:-4]} {national[-4:]}"


def company(rng: random.Random, index: int) -> dict:
    city = rng.choice(demo.CITIES)
    brand = "".join(rng.sample(demo.BRAND_CHARS, 2))
    industry = rng.choice(demo.INDUSTRY_WORDS)[0]
    subscriber = str(rng.randrange(10**7, 10**8))
    return {
        "name": f"{city.name}{brand}{industry}{rng.choice(demo.LEGAL_FORMS)}",
        "phone": f"86{city.area_code}{subscriber}",
        "email": f"info{index}@{''.join(lazy_pinyin(brand))}.com.cn",
        "address": f"{city.city}{rng.choice(city.districts)}{rng.choice(demo.STREETS)}"
        f"{rng.randrange(1, 999)}号",
    }


def company_variant(rng: random.Random, base: dict) -> tuple[dict, str]:
    values, kind = _company_variant(rng, base)
    if rng.random() < 0.4:  # two changes at once: a typo and a missing phone, say
        values, second = _company_variant(rng, {**base, **values})
        kind = f"{kind}+{second}"
    return values, kind


def _company_variant(rng: random.Random, base: dict) -> tuple[dict, str]:
    values = dict(base)
    kind = rng.choice(
        ["suffix", "traditional", "width", "pinyin", "typo", "missing", "phone", "moved"]
    )
    core = values["name"]
    for suffix in demo.LEGAL_FORMS:
        core = core.removesuffix(suffix)
    if kind == "suffix":
        values["name"] = core + rng.choice(["集团", "股份有限公司", "", "有限责任公司"])
    elif kind == "traditional":
        values["name"] = zhconv.convert(values["name"], "zh-hant")
    elif kind == "width":
        values["name"] = full_width(values["name"]) + "（总部）"
    elif kind == "pinyin":
        values["name"] = " ".join(lazy_pinyin(core)).title() + " Co., Ltd."
    elif kind == "typo":
        values["name"] = typo(rng, values["name"])
    elif kind == "missing":
        values.pop(rng.choice(["phone", "email", "address"]))
    elif kind == "moved":  # a new office: another address and switchboard
        values["address"] = company(rng, 0)["address"]
        values["phone"] = company(rng, 0)["phone"]
    if values.get("phone"):
        values["phone"] = reformat_phone(rng, values["phone"].lstrip("+"))
    if kind == "phone" and "email" in values:
        values["email"] = values["email"].upper()
    return values, kind


def sister_company(rng: random.Random, base: dict, index: int) -> dict:
    """Return another company of the same group: same brand, other business and city."""
    other = company(rng, index)
    core = base["name"]
    for suffix in demo.LEGAL_FORMS:
        core = core.removesuffix(suffix)
    brand = core[len(next(c.name for c in demo.CITIES if core.startswith(c.name))) :][:2]
    other["name"] = other["name"].replace(other["name"][2:4], brand, 1)
    return other


def person(rng: random.Random, index: int, account: int) -> dict:
    surname = rng.choice(demo.SURNAMES[:40])
    given = rng.choice(demo.MALE_CHARS + demo.FEMALE_CHARS)
    if rng.random() < 0.4:
        given += rng.choice(demo.MALE_CHARS + demo.FEMALE_CHARS)
    mobile = f"86{rng.choice(demo.MOBILE_PREFIXES)}{rng.randrange(10**7, 10**8)}"
    spelled = "".join(lazy_pinyin(given)) + "." + "".join(lazy_pinyin(surname))
    return {
        "name": surname + given,
        "mobile": mobile,
        "email": f"{spelled}{index}@{rng.choice(['gmail.com', 'qq.com', '163.com'])}",
        "account": account,
    }


def person_variant(rng: random.Random, base: dict) -> tuple[dict, str]:
    values, kind = _person_variant(rng, base)
    if rng.random() < 0.4:
        values, second = _person_variant(rng, {**base, **values})
        kind = f"{kind}+{second}"
    return values, kind


def _person_variant(rng: random.Random, base: dict) -> tuple[dict, str]:
    values = dict(base)
    kind = rng.choice(["pinyin", "swapped", "traditional", "typo", "missing", "email", "new_job"])
    syllables = lazy_pinyin(values["name"])
    if kind == "pinyin":
        values["name"] = f"{syllables[0].title()} {''.join(syllables[1:]).title()}"
    elif kind == "swapped":
        values["name"] = f"{''.join(syllables[1:]).title()} {syllables[0].upper()}"
    elif kind == "traditional":
        values["name"] = zhconv.convert(values["name"], "zh-hant")
    elif kind == "typo":  # a slip of the input method: another character, same sound
        values["name"] = values["name"][:-1] + rng.choice(demo.MALE_CHARS + demo.FEMALE_CHARS)
    elif kind == "new_job":  # the same person at another customer, same mobile
        values["account"] = values["account"] + 1000
        values.pop("email", None)
    elif kind == "missing":
        values.pop(rng.choice(["mobile", "email"]))
    elif kind == "email":
        local, domain = values["email"].split("@")
        if domain == "gmail.com":
            values["email"] = local.replace(".", "") + "+crm@gmail.com"
        else:
            values["email"] = values["email"].upper()
    if "mobile" in values:
        values["mobile"] = reformat_phone(
            rng,
            values["mobile"]
            .lstrip("+")
            .replace(" ", "")
            .replace("-", "")
            .removeprefix("86")
            .join(["86", ""]),
        )
    values["name"] = unicodedata.normalize("NFC", values["name"])
    return values, kind


def cases(entity: str, count: int = 2000, duplicate_share: float = 0.3, seed: int = 5):
    """Return labelled cases: `count` true records, a share of them entered twice or more."""
    rng = random.Random(seed)
    result: list[Case] = []
    for index in range(count):
        account = index // 3  # three contacts per customer: colleagues share it
        base = company(rng, index) if entity == "account" else person(rng, index, account)
        base = {k: (v if k != "phone" else f"+{v}") for k, v in base.items()}
        if "mobile" in base:
            base["mobile"] = "+" + base["mobile"]
        result.append(Case(index, base))
        if entity == "account" and rng.random() < 0.1:
            result.append(Case(count + index, sister_company(rng, base, count + index)))
        if rng.random() < duplicate_share:
            for _copy in range(1 if rng.random() < 0.8 else 2):
                raw = {k: v.lstrip("+") if k in ("phone", "mobile") else v for k, v in base.items()}
                maker = company_variant if entity == "account" else person_variant
                values, kind = maker(rng, raw)
                result.append(Case(index, values, kind))
    return result


def evaluate(entity_name: str, labelled: list[Case]) -> dict:
    """Return precision, recall and counts of the finder's pairs on a labelled set."""
    from guanxi.core import registry

    entity = registry.get(entity_name)
    rules = entity.duplicates
    profiles = [engine.profile_of(entity, case.values) for case in labelled]
    limits = {rule.key: rule.max_block for rule in rules.fields}
    blocks: dict[str, list[int]] = {}
    for number, profile in enumerate(profiles):
        for key in engine.keys_of(entity, profile):
            blocks.setdefault(key, []).append(number)
    clusters = Clusters()
    compared = set()
    for key, members in blocks.items():
        if not 1 < len(members) <= limits.get(key.split(":", 1)[0], MAX_BLOCK):
            continue
        for pair in combinations(members, 2):
            if pair in compared:
                continue
            compared.add(pair)
            value, reasons = engine.score(rules, profiles[pair[0]], profiles[pair[1]])
            if value >= rules.threshold:
                clusters.join(*pair, Edge(value, reasons))
    predicted = {
        pair for group in clusters.groups() for pair in combinations(group["member_ids"], 2)
    }
    by_truth: dict[int, list[int]] = {}
    for number, case in enumerate(labelled):
        by_truth.setdefault(case.truth, []).append(number)
    actual = {pair for ids in by_truth.values() for pair in combinations(ids, 2)}
    true_positive = len(predicted & actual)
    missed: dict[str, int] = {}
    for _first, second in actual - predicted:
        kind = labelled[second].variation
        missed[kind] = missed.get(kind, 0) + 1
    return {
        "records": len(labelled),
        "true_pairs": len(actual),
        "found_pairs": len(predicted),
        "precision": true_positive / len(predicted) if predicted else 1.0,
        "recall": true_positive / len(actual) if actual else 1.0,
        "missed_by_variation": missed,
    }
