"""Global search (PLT-10): normalised keys per record, found by prefix, filtered by scope.

Each record is indexed as a handful of keys: its normalised name, the name without legal
suffix or region prefix, pinyin and pinyin initials of Chinese names (every reading of the
surname), the words of Latin names, phone numbers as E.164 and national digits, and
emails. A query is normalised the same way and matched as a prefix of a key, which btree
indexes answer in milliseconds on both SQLite and PostgreSQL, even for the one- and two-
character queries most Chinese names are. Matching record ids are then narrowed by the
user's data scope in the same SQL statement.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.models import Q
from pypinyin import Style, pinyin
from pypinyin.constants import PHRASES_DICT, RE_HANS
from pypinyin.core import Pinyin, _default_convert, _default_pinyin
from pypinyin.seg import mmseg, simpleseg

from guanxi.core import registry
from guanxi.core.models import SearchToken
from guanxi.core.phones import normalize_phone, phone_search_keys

MAX_KEY_LENGTH = 100
# How many matching records global search considers per entity before applying scope.
CANDIDATE_LIMIT = 2000
COMPANY_SUFFIXES = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团公司",
        "集团",
        "公司",
        "分公司",
        "工作室",
        "co ltd",
        "co., ltd.",
        "co.,ltd.",
        "co., ltd",
        "company limited",
        "limited",
        "ltd",
        "inc",
        "corp",
        "corporation",
        "llc",
        "gmbh",
        "co",
    ],
    key=len,
    reverse=True,
)
REGION_PREFIXES = sorted(
    [
        "北京",
        "上海",
        "天津",
        "重庆",
        "广州",
        "深圳",
        "杭州",
        "南京",
        "苏州",
        "成都",
        "武汉",
        "西安",
        "长沙",
        "郑州",
        "青岛",
        "厦门",
        "宁波",
        "无锡",
        "合肥",
        "福州",
        "济南",
        "大连",
        "沈阳",
        "哈尔滨",
        "长春",
        "昆明",
        "南宁",
        "贵阳",
        "南昌",
        "太原",
        "石家庄",
        "兰州",
        "佛山",
        "东莞",
        "珠海",
        "温州",
        "绍兴",
        "嘉兴",
        "常州",
        "徐州",
        "烟台",
        "香港",
        "澳门",
        "台北",
        "广东",
        "浙江",
        "江苏",
        "山东",
        "河南",
        "河北",
        "湖南",
        "湖北",
        "四川",
        "福建",
        "安徽",
        "江西",
        "辽宁",
        "吉林",
        "黑龙江",
        "陕西",
        "山西",
        "云南",
        "贵州",
        "广西",
        "海南",
        "甘肃",
        "内蒙古",
        "新疆",
        "西藏",
        "宁夏",
        "青海",
        "中国",
    ],
    key=len,
    reverse=True,
)
_NON_WORD = re.compile(r"[\s\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_TRAILING_NOTE = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
_PHONE_QUERY = re.compile(r"^\+?[\d\s\-().]{3,}$")


def normalize(text: str) -> str:
    """Return text folded for matching: NFKC (full → half width), lower case, no punctuation."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return _NON_WORD.sub("", folded)


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text or ""))


@lru_cache(maxsize=65536)
def strip_company_name(name: str) -> str:
    """Return a company name without its legal suffix and leading region, normalised.

    Remembered: a record's name is stripped for its search keys, its duplicate profile
    and an import's check of repeated rows.
    """
    text = unicodedata.normalize("NFKC", name or "").lower().strip()
    changed = True
    while changed:
        changed = False
        # A trailing note in brackets, e.g. (总部) or (集团), hides the legal suffix before it.
        text = _TRAILING_NOTE.sub("", text)
        stripped = text.rstrip(" .,，()（）")
        for suffix in COMPANY_SUFFIXES:
            if stripped.endswith(suffix) and len(stripped) > len(suffix):
                text = stripped[: -len(suffix)]
                changed = True
                break
    text = re.sub(r"[(（][^)）]*[)）]$", "", text.strip())
    core = normalize(text)
    for region in REGION_PREFIXES:
        if core.startswith(region) and len(core) > len(region) + 1:
            core = core[len(region) :]
            break
    for region in ("省", "市"):
        if core.startswith(region) and len(core) > 2:
            core = core[1:]
    return core


def lazy_pinyin(text: str, *, errors: str = "default") -> list[str]:
    """Return pypinyin's `lazy_pinyin(text, errors=errors)`, each word converted once.

    pypinyin splits text into words, then converts each word on its own; converting one
    word costs as much as a whole company name. Names repeat their words (科技, 贸易, 有限),
    so remembering each word's syllables makes an import's pinyin several times cheaper,
    with the same segmentation and therefore the same result.
    """
    return [syllable for word in _words(text) for syllable in _word(word, errors)]


# A record's name is segmented for its search keys and again for its duplicate profile
# (there with its digits and Latin letters): pypinyin's segmentation (`simpleseg.seg`: runs
# of Chinese characters, each cut into words) with each run cut once.
_PYPINYIN_SEGMENTATION = (
    _default_pinyin.get_seg() is simpleseg.seg
    and type(_default_pinyin).pre_seg is Pinyin.pre_seg
    and type(_default_pinyin).post_seg is Pinyin.post_seg
)


@lru_cache(maxsize=1024)
def _words(text: str) -> tuple[str, ...]:
    if not _PYPINYIN_SEGMENTATION:
        return tuple(_default_pinyin.seg(text))
    words: list[str] = []
    for run in _runs(text):
        if RE_HANS.match(run) and PHRASES_DICT:
            words.extend(_cut(run))
        else:
            words.append(run)
    return tuple(words)


# simpleseg.simple_seg cuts text into alternating runs of characters that have pinyin and
# characters that have not, one character and one regular expression match at a time; a
# regular expression built from the same character class finds the same runs at once.
_HANS_CLASS = RE_HANS.pattern.removeprefix("^(?:[").removesuffix("])+$")
_RUNS = re.compile(f"[{_HANS_CLASS}]+|[^{_HANS_CLASS}]+", re.DOTALL)
_RUNS_USABLE = RE_HANS.pattern == f"^(?:[{_HANS_CLASS}])+$"


def _runs(text: str) -> list[str]:
    if not _RUNS_USABLE:
        return simpleseg.simple_seg(text)
    return _RUNS.findall(text) or [""]


# mmseg.seg.cut, pypinyin's forward maximum matching with only dictionary phrases as words,
# goes through a generator and a Python `__contains__` per character tried; the same steps
# on the prefix set's own set, in a loop, cost half as much.
_PREFIXES = mmseg.seg._prefix_set
_CUT_USABLE = (
    type(mmseg.seg) is mmseg.Seg
    and type(_PREFIXES) is mmseg.PrefixSet
    and mmseg.seg._no_non_phrases
    and isinstance(getattr(_PREFIXES, "_set", None), set)
)


@lru_cache(maxsize=1024)
def _cut(run: str) -> tuple[str, ...]:
    if not _CUT_USABLE:
        return tuple(mmseg.seg.cut(run))
    prefixes, phrases = _PREFIXES._set, PHRASES_DICT
    words: list[str] = []
    remain = run
    while remain:
        # The longest phrase of the dictionary that starts the text, found by extending a
        # prefix of some phrase one character at a time; otherwise one character.
        longest = 0
        end = 1
        size = len(remain)
        while end <= size:
            word = remain[:end]
            if word not in prefixes:
                break
            if word in phrases:
                longest = end
            end += 1
        else:
            # The whole rest is a prefix: a phrase if the dictionary has it as a whole,
            # else its longest phrase, else single characters.
            if longest == 0:
                words.extend(remain)
                break
        if longest:
            words.append(remain[:longest])
            remain = remain[longest:]
        else:
            words.append(remain[0])
            remain = remain[1:]
    return tuple(words)


@lru_cache(maxsize=200_000)
def _word(word: str, errors: str) -> tuple[str, ...]:
    converted = _default_convert.convert(word, Style.NORMAL, False, errors, strict=True)
    return tuple(syllable for syllables in converted for syllable in syllables)


def pinyin_keys(text: str, *, person: bool = False) -> list[str]:
    """Return pinyin full spellings and initials of Chinese text.

    For a person's name every reading of the surname is included, because pypinyin reads
    some surnames wrongly by default (单 shan, 曾 zeng, 解 xie, 区 ou, 仇 qiu).
    """
    chinese = "".join(_CJK.findall(text or ""))
    if not chinese:
        return []
    syllables = lazy_pinyin(chinese, errors="ignore")
    readings = [syllables[0]] if syllables else []
    if person and chinese:
        readings = list(dict.fromkeys(pinyin(chinese[0], heteronym=True, style=Style.NORMAL)[0]))
    keys = []
    for reading in readings or [""]:
        full = [reading, *syllables[1:]] if syllables else []
        keys.append("".join(full))
        keys.append("".join(syllable[:1] for syllable in full))
    return [key for key in dict.fromkeys(keys) if key]


def person_name_keys(*names: str) -> list[str]:
    """Return search keys of a person's name given as one or more parts."""
    keys: list[str] = []
    full = " ".join(part for part in names if part)
    keys.append(normalize(full))
    if has_chinese(full):
        chinese = normalize(full)
        if len(chinese) > 2:
            keys.append(chinese[1:])  # the given name, found without the surname
        keys.extend(pinyin_keys(chinese, person=True))
    else:
        words = [normalize(word) for word in re.split(r"\s+", full) if normalize(word)]
        keys.extend(words)
        if len(words) > 1:
            keys.append("".join(reversed(words)))
    return keys


def company_name_keys(name: str) -> list[str]:
    """Return search keys of a company name: full, core without suffix/region, pinyin, words."""
    keys = [normalize(name)]
    core = strip_company_name(name)
    keys.append(core)
    if has_chinese(name):
        keys.extend(pinyin_keys(core))
    else:
        keys.extend(normalize(word) for word in re.split(r"\s+", name or ""))
    return keys


def phone_keys(*raw_numbers: str) -> list[str]:
    keys: list[str] = []
    for raw in raw_numbers:
        keys.extend(_phone_search_keys(normalize_phone(raw)))
    return keys


@lru_cache(maxsize=65536)
def _phone_search_keys(e164: str) -> tuple[str, ...]:
    # Parsed again for the national number; a record's number is read by several paths.
    return tuple(phone_search_keys(e164))


def email_keys(*emails: str) -> list[str]:
    keys: list[str] = []
    for email in emails:
        email = (email or "").strip().lower()
        if email:
            keys.append(email)
            # Keys are matched by prefix, so the address finds its local part as typed;
            # "san.zhang" is also kept as "sanzhang", the way names are kept.
            folded = normalize(email.split("@")[0])
            if not email.startswith(folded):
                keys.append(folded)
    return keys


def clean_keys(keys: Iterable[str]) -> list[str]:
    return [key[:MAX_KEY_LENGTH] for key in dict.fromkeys(keys) if key]


def index_record(entity_name: str, instance) -> None:
    """Replace the search keys of one record."""
    entity = registry.get(entity_name)
    SearchToken.objects.filter(entity=entity_name, object_id=instance.pk).delete()
    if entity.search_keys is None:
        return
    SearchToken.objects.bulk_create(
        SearchToken(entity=entity_name, object_id=instance.pk, token=key)
        for key in clean_keys(entity.search_keys(instance))
    )


def unindex_records(entity_name: str, object_ids: Iterable[int]) -> None:
    SearchToken.objects.filter(entity=entity_name, object_id__in=list(object_ids)).delete()


def query_keys(query: str) -> list[str]:
    """Return the keys a user's query is looked up by."""
    text = (query or "").strip()
    if not text:
        return []
    if _PHONE_QUERY.match(text) and sum(char.isdigit() for char in text) >= 3:
        digits = re.sub(r"\D", "", text)
        keys = [digits]
        e164 = normalize_phone(text)
        if e164:
            keys.extend(phone_search_keys(e164))
        if digits.startswith("0") and len(digits) > 1:
            keys.append(digits.lstrip("0"))  # trunk prefix of landlines: 010 → 10
        return list(dict.fromkeys(keys))
    if "@" in text:
        return [text.lower()]
    # "san.zhang" is an email's local part as typed; "sanzhang" is how names are kept.
    return [key for key in dict.fromkeys([normalize(text), text.lower()]) if key]


def prefix_q(keys: list[str]) -> Q:
    """Return the condition "token starts with one of keys", in its index-friendly form."""
    condition = Q(pk__in=[])
    for key in keys:
        if connection.vendor == "postgresql":
            condition |= Q(token__startswith=key)
        else:
            # SQLite's LIKE ignores the index unless case_sensitive_like is on; a range on
            # the binary-collated column uses it.
            condition |= Q(token__gte=key, token__lt=key + "\U0010ffff")
    return condition


def matching_ids(entity_name: str, query: str):
    """Return a subquery of the ids of an entity's records matching a query.

    No DISTINCT: `id IN (…)` is a semi-join, and DISTINCT would make the database read
    every matching key before returning the first row.
    """
    keys = query_keys(query)
    if not keys:
        return SearchToken.objects.none().values("object_id")
    return SearchToken.objects.filter(prefix_q(keys), entity=entity_name).values("object_id")


def candidate_ids(entity_name: str, query: str, limit: int) -> list[int]:
    """Return up to `limit` ids of records matching a query, read from the key index only.

    A one-character prefix such as 张 matches a hundred thousand keys at a million records;
    global search looks at the first `limit` of them, then applies the user's scope.
    """
    found: list[int] = []
    # One query per key: SQLite does not use the index for an OR of ranges.
    for key in query_keys(query):
        rows = SearchToken.objects.filter(prefix_q([key]), entity=entity_name)
        found.extend(rows.values_list("object_id", flat=True)[:limit])
    return list(dict.fromkeys(found))[:limit]


@dataclass
class Hit:
    entity: registry.Entity
    record: object
    title: str
    subtitle: str


def search(user, query: str, *, per_entity: int = 8) -> list[Hit]:
    """Return the records the user may view that match a query, grouped by entity."""
    hits: list[Hit] = []
    keys = query_keys(query)
    if not keys:
        return hits
    for entity in registry.entities():
        if entity.search_keys is None:
            continue
        candidates = candidate_ids(entity.name, query, CANDIDATE_LIMIT)
        if not candidates:
            continue
        queryset = (
            entity.model.objects.visible_to(user, "view")
            .filter(pk__in=candidates)
            .select_related(*entity.select_related)
            .order_by()[:per_entity]
        )
        for record in queryset:
            subtitle = entity.search_subtitle(record) if entity.search_subtitle else ""
            hits.append(Hit(entity, record, str(record), subtitle))
    normalized = normalize(query)
    hits.sort(key=lambda hit: (normalize(hit.title) != normalized, hit.entity.menu_order))
    return hits
