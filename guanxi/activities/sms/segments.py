"""Count how many SMS parts a text takes: GSM-7 or UCS-2, single or concatenated.

A text made only of the GSM 03.38 alphabet travels 7 bits a character: 160 characters fit
one SMS, and a longer text is sent in parts of 153 (the rest of each part holds the
concatenation header). Characters of the GSM extension table (€, [, ], {, }, ~, ^, |, \\)
take two places. Any other character — every Chinese one — makes the whole text UCS-2:
70 characters in one SMS, 67 a part, and characters outside the basic plane (emoji) take
two places. Chinese providers put the signature 【签名】 in front of the text, so it counts.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class Segments:
    """How a text travels: its encoding, its length in places and the parts it takes."""

    encoding: str  # "GSM-7" or "UCS-2"
    length: int  # places taken (extension characters and emoji count two)
    parts: int
    per_part: int  # places a part holds: the single-SMS size when it fits in one
    remaining: int  # places left in the last part


def with_signature(text: str, signature: str = "") -> str:
    """Return the text as the provider sends it: the signature 【签名】 in front."""
    return f"【{signature}】{text}" if signature else text


def _places(text: str) -> tuple[str, list[int]]:
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in text):
        return "GSM-7", [2 if char in GSM_EXTENSION else 1 for char in text]
    return "UCS-2", [2 if ord(char) > 0xFFFF else 1 for char in text]


def _pack(widths: list[int], size: int) -> tuple[int, int]:
    """Return the parts and the places used in the last one; a character is never split."""
    parts, used = 1, 0
    for width in widths:
        if used + width > size:
            parts, used = parts + 1, 0
        used += width
    return parts, used


def sms_segments(text: str, signature: str = "") -> Segments:
    """Return how the text (with the provider's signature) is encoded and how many SMS it takes."""
    full = with_signature(text or "", signature)
    encoding, widths = _places(full)
    single, part = (GSM_SINGLE, GSM_PART) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    length = sum(widths)
    if length <= single:
        return Segments(encoding, length, 1 if length else 0, single, single - length)
    parts, used = _pack(widths, part)
    return Segments(encoding, length, parts, part, part - used)
