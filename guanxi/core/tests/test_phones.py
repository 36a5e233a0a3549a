"""Phone numbers: the quick reading of Chinese mobile numbers is the parser's."""

import random

import phonenumbers
import pytest

from guanxi.core import phones


def parsed(text: str) -> tuple[str, phonenumbers.PhoneNumber | None]:
    """What the full parser makes of a number read in China."""
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return "", None
    if not phonenumbers.is_valid_number(number):
        return "", None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.PhoneNumber(
        country_code=number.country_code, national_number=number.national_number
    )


def test_every_mobile_prefix_reads_as_the_parser_reads_it():
    rng = random.Random(5)
    numbers = [
        f"{prefix:05d}{rng.randrange(10**6):06d}" for prefix in range(10000, 20000) for _ in (1, 2)
    ]
    numbers += ["13800000000", "17951234567", "11234567890", "12345678901", "19999999999"]
    phones._normalized.cache_clear()
    for text in numbers:
        expected, number = parsed(text)
        assert phones._normalized(text, "CN") == expected, text
        if expected:
            remembered, area_length = phones._PARSED[expected]
            assert remembered == number, text
            if area_length is not None:
                assert area_length == phonenumbers.length_of_geographical_area_code(number), text


@pytest.mark.parametrize(
    "text,expected",
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("12", ""),
        ("1381234567", ""),  # ten digits
        ("10012345678", ""),
    ],
)
def test_mobile_numbers_in_any_format(text, expected):
    assert phones.normalize_phone(text, "CN") == expected


def test_search_keys_of_a_quickly_read_number_are_its_digits_and_national_number():
    e164 = phones.normalize_phone("15912345678", "CN")
    assert phones.phone_search_keys(e164) == ["8615912345678", "15912345678"]
