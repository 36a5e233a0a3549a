"""Normalisation and similarity of the values duplicate detection compares.

Every method turns a raw value into a small "profile" value (stored per record, so the
finder never recomputes pinyin), the blocking keys that value is found by, and a
similarity between two profile values from 0 to 1.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import zhconv
import zhconv.zhconv
from rapidfuzz import fuzz

from guanxi.core import search
from guanxi.core.phones import normalize_phone

COMPANY_NAME = "company_name"
PERSON_NAME = "person_name"
PHONE = "phone"
EMAIL = "email"
ADDRESS = "address"
EXACT = "exact"
METHODS = (COMPANY_NAME, PERSON_NAME, PHONE, EMAIL, ADDRESS, EXACT)

# Providers that ignore dots in the local part and/or deliver "name+tag" to "name".
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
PLUS_DOMAINS = {
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "protonmail.com",
    "proton.me",
    "fastmail.com",
}
ADDRESS_WORDS = {
    "road": "rd",
    "street": "st",
    "avenue": "ave",
    "building": "bldg",
    "room": "rm",
    "floor": "f",
    "district": "dist",
    "number": "no",
}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def fold(text: str) -> str:
    """Return text in one form: NFKC (full → half width), lower case, simplified Chinese."""
    folded = unicodedata.normalize("NFKC", text or "").lower().strip()
    if _CJK.search(folded) and _may_convert(folded):
        folded = zhconv.convert(folded, "zh-hans")
    return folded


def _may_convert(text: str) -> bool:
    """Tell whether converting text to simplified Chinese could change it.

    zhconv replaces the words of its table found in the text; most of the table's words
    stand for themselves, so a text holding none of the others comes out as it went in.
    A name or an address is checked in about a tenth of a conversion's time.
    """
    changing = _changing_words()
    for position, character in enumerate(text):
        words = changing.get(character)
        if words is not None and any(text.startswith(word, position) for word in words):
            return True
    return False


@cache
def _changing_words() -> dict[str, tuple[str, ...]]:
    """Return the words zhconv converts to other text, by their first character."""
    words: dict[str, list[str]] = {}
    for word, simplified in zhconv.zhconv.getdict("zh-hans").items():
        if word != simplified:
            words.setdefault(word[0], []).append(word)
    return {first: tuple(found) for first, found in words.items()}


def company_profile(name: str) -> list[str]:
    """Return [core name without legal suffix and region, its Latin spelling]."""
    return list(_company_profile(name))


# A record's profile is computed when it is checked and again when it is indexed (an
# import does both for every row); pinyin is the costly part, so each name is read once.
@lru_cache(maxsize=65536)
def _company_profile(name: str) -> tuple[str, ...]:
    core = search.strip_company_name(fold(name))
    if not core:
        return ()
    latin = "".join(search.lazy_pinyin(core)) if _CJK.search(core) else core
    return (core, latin)


def person_profile(name: str) -> list[str]:
    """Return [Chinese characters, sorted Latin words] of a person's name.

    张伟, 張偉, "Zhang Wei" and "Wei Zhang" share the second value "wei zhang": Chinese
    names are spelled surname + given name, each one word, as they are romanised.
    """
    return list(_person_profile(name))


@lru_cache(maxsize=65536)
def _person_profile(name: str) -> tuple[str, ...]:
    text = fold(name)
    chinese = "".join(_CJK.findall(text))
    if chinese:
        syllables = search.lazy_pinyin(chinese)
        words = [syllables[0], "".join(syllables[1:])] if len(syllables) > 1 else syllables
    else:
        chinese = ""
        words = ["".join(_WORD.findall(part)) for part in re.split(r"[\s,]+", text)]
    words = sorted(word for word in words if word)
    if not words:
        return ()
    return (chinese, " ".join(words))


def phone_profile(*numbers: str) -> list[str]:
    """Return phone numbers as E.164; numbers already in that form are taken as they are."""
    found = (n if _E164.match(n) else normalize_phone(n) for n in numbers)
    return sorted({e164 for e164 in found if e164})


def canonical_email(email: str) -> str:
    """Return an email address as its provider delivers it: case-folded, and for providers
    that ignore them, without dots in the local part or a "+tag"."""
    text = fold(email)
    if "@" not in text:
        return ""
    local, _at, domain = text.rpartition("@")
    if domain in PLUS_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
        domain = DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}" if local else ""


def email_profile(*emails: str) -> list[str]:
    return sorted({canonical for canonical in map(canonical_email, emails) if canonical})


def address_profile(*parts: str) -> list[str]:
    """Return an address as one folded string, common English words abbreviated."""
    text = fold(" ".join(part for part in parts if part))
    words = [ADDRESS_WORDS.get(word, word) for word in _WORD.findall(text)]
    joined = "".join(words)
    if joined.startswith("中国"):
        joined = joined[2:]
    return [joined] if joined else []


def exact_profile(*values) -> list[str]:
    return [str(value) for value in values if value not in (None, "")][:1]


PROFILERS = {
    COMPANY_NAME: company_profile,
    PERSON_NAME: lambda *names: person_profile(" ".join(name for name in names if name)),
    PHONE: phone_profile,
    EMAIL: email_profile,
    ADDRESS: address_profile,
    EXACT: exact_profile,
}


def profile(method: str, values: list) -> list[str]:
    """Return the profile value of a field from its raw source values."""
    if method == COMPANY_NAME:
        return company_profile(" ".join(str(value) for value in values if value))
    return PROFILERS[method](*[value for value in values if value not in (None, "")])


def blocking_keys(method: str, value: list[str]) -> list[str]:
    """Return the keys records sharing a value of this field are found by."""
    if not value:
        return []
    if method == COMPANY_NAME:
        core, latin = value
        return [core, latin] if len(core) > 1 else []
    if method == PERSON_NAME:
        return [value[1].replace(" ", "")]
    if method in (PHONE, EMAIL):
        return list(value)
    return []


def similarity(method: str, first: list[str], second: list[str]) -> float:
    """Return how alike two profile values are, 0 to 1."""
    if method in (PHONE, EMAIL):
        return 1.0 if set(first) & set(second) else 0.0
    if method == EXACT:
        return 1.0 if first == second else 0.0
    if method == COMPANY_NAME:
        if first[0] == second[0]:
            return 1.0
        # Same sound, other characters: an input-method slip (华信/华新) or pinyin spelling.
        return max(fuzz.ratio(first[0], second[0]), 0.95 * fuzz.ratio(first[1], second[1])) / 100
    if method == PERSON_NAME:
        if first[0] and second[0]:
            if first[0] == second[0]:
                return 1.0
            spelled = 0.9 if first[1] == second[1] else 0.0
            return max(fuzz.ratio(first[0], second[0]) / 100, spelled)
        return fuzz.token_sort_ratio(first[1], second[1]) / 100
    if method == ADDRESS:
        shorter = min(len(first[0]), len(second[0]))
        partial = fuzz.partial_ratio(first[0], second[0]) * 0.95 if shorter >= 6 else 0.0
        return max(fuzz.ratio(first[0], second[0]), partial) / 100
    raise ValueError(method)
