"""Phone numbers: normalisation to E.164 for lookup, dedupe and search."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from django.conf import settings
from phonenumbers import PhoneMetadata


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return the E.164 form of a phone number written in any format, or "" if invalid.

    Numbers without a country code are read in the default region (CN unless configured).
    """
    if not raw or not raw.strip():
        return ""
    return _normalized(raw.strip(), region or settings.GUANXI_DEFAULT_REGION)


# One saved record reads its numbers several times (form, model, search and duplicate
# keys); parsing is the costly part of an import's row, so each text is parsed once.
@lru_cache(maxsize=65536)
def _normalized(text: str, region: str) -> str:
    if region == "CN" and _CN_MOBILE.fullmatch(text) and _CN_MOBILE_PATTERN.fullmatch(text):
        # Most numbers in a Chinese customer list: read without the parser (a fifth of an
        # import row's work), with its result.
        e164 = "+86" + text
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(text))
        # A mobile number: China's have no area code (`test_phones.py` checks every prefix).
        _remember(e164, number, area_length=0)
        return e164
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    _remember(e164, number)
    return e164


# Eleven digits from 13 to 19 that the parser takes as they are: no international or
# national prefix, no carrier code to strip (those start 11, 12 and 179 in China's
# metadata). Such a number is valid when it fits the metadata's mobile pattern, which is
# then the parser's own (`test_phones.py` compares both on every five-digit prefix).
_CN_MOBILE = re.compile(r"1(?!79)[3-9][0-9]{9}", re.ASCII)
_CN_MOBILE_PATTERN = re.compile(
    PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern
)


# The numbers just read, by their E.164 form, with the length of their area code where
# known: the search keys of a record need its national number and area code, which reading
# the E.164 text again would cost a second parse.
_PARSED: dict[str, tuple[phonenumbers.PhoneNumber, int | None]] = {}
_PARSED_LIMIT = 4096


def _remember(e164: str, number: phonenumbers.PhoneNumber, area_length: int | None = None) -> None:
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.clear()
    # What parsing the E.164 text gives: the same number without its extension.
    copy = phonenumbers.PhoneNumber(
        country_code=number.country_code,
        national_number=number.national_number,
        italian_leading_zero=number.italian_leading_zero,
        number_of_leading_zeros=number.number_of_leading_zeros,
    )
    _PARSED[e164] = (copy, area_length)


def phone_search_keys(e164: str) -> list[str]:
    """Return the digit strings a phone number is found by: E.164 digits and national number."""
    if not e164:
        return []
    keys = [e164.lstrip("+")]
    number, area_length = _PARSED.get(e164) or (None, None)
    if number is None:
        try:
            number = phonenumbers.parse(e164)
        except phonenumbers.NumberParseException:
            return keys
    national = str(number.national_number)
    if national not in keys:
        keys.append(national)
    # A landline is often given without its area code: 0571-8888 1234 → 88881234.
    if area_length is None:
        area_length = phonenumbers.length_of_geographical_area_code(number)
    if area_length:
        keys.append(national[area_length:])
    return keys


@lru_cache(maxsize=20000)
def format_phone(e164: str) -> str:
    """Return a phone number for display: national format at home, international abroad."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == settings.GUANXI_DEFAULT_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
