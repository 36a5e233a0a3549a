"""Printed documents of a selection of records: envelopes and address labels as PDF (CUS-7).

Chinese text uses reportlab's built-in CID font STSong-Light, which every PDF reader
renders from its own Asian font pack, so no font file ships with Guanxi; Latin text uses
Helvetica. A Chinese address reads postcode, then province, city and street, then the
company and "name 收"; a Latin one reads name, company, street, city and postcode,
country — each in the order its post office expects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
CHINA_NAMES = {"", "中国", "中华人民共和国", "china", "cn", "prc", "people's republic of china"}
_WIDE = re.compile(r"[^\x00-\xff]")


@dataclass
class PostalAddress:
    """Hold what goes on an envelope or label, taken from a record."""

    name: str
    company: str = ""
    street: str = ""
    city: str = ""
    province: str = ""
    postal_code: str = ""
    country: str = ""

    @property
    def is_printable(self) -> bool:
        return bool(self.street or self.city)

    @property
    def is_chinese(self) -> bool:
        if self.country.strip().casefold() not in CHINA_NAMES:
            return False
        return bool(_WIDE.search(self.street + self.city + self.province + self.name))

    def region_line(self) -> str:
        """Return province, city and street as one Chinese line, each part once."""
        line = self.street
        for part in (self.city, self.province):
            if part and not line.startswith(part) and part not in line:
                line = part + line
        return line

    def lines(self) -> list[str]:
        """Return the address lines in the order of the destination's post."""
        if self.is_chinese:
            return [
                line
                for line in (self.postal_code, self.region_line(), self.company, f"{self.name} 收")
                if line.strip()
            ]
        city_line = " ".join(part for part in (self.city, self.postal_code) if part)
        region = self.province if self.province and self.province != self.city else ""
        return [
            line
            for line in (
                self.name,
                self.company,
                self.street,
                city_line,
                region,
                self.country.upper(),
            )
            if line.strip()
        ]


@dataclass(frozen=True)
class LabelSheet:
    """Describe an A4 sheet of labels: columns × rows, label size and pitch in millimetres."""

    key: str
    columns: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    pitch_x: float
    pitch_y: float

    @property
    def label(self) -> str:
        size = f"{self.columns} × {self.rows} · {self.width:g} × {self.height:g} mm"
        return f"{size} ({self.key})" if self.key.startswith("L") else size

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


LABEL_SHEETS = {
    sheet.key: sheet
    for sheet in (
        LabelSheet("L7160", 3, 7, 63.5, 38.1, 7.2, 15.15, 66, 38.1),
        LabelSheet("L7163", 2, 7, 99.1, 38.1, 4.65, 15.15, 101.6, 38.1),
        LabelSheet("L7159", 3, 8, 63.5, 33.9, 7.2, 12.9, 66, 33.9),
        LabelSheet("L7161", 3, 6, 63.5, 46.6, 7.2, 8.8, 66, 46.6),
        LabelSheet("L7162", 2, 8, 99.1, 33.9, 4.65, 12.9, 101.6, 33.9),
        LabelSheet("70x37", 3, 8, 70, 37, 0, 0.5, 70, 37),
    )
}

ENVELOPES = {
    # Landscape sizes in millimetres (width, height).
    "DL": (_("DL · 220 × 110 mm"), 220, 110),
    "C5": (_("C5 · 229 × 162 mm"), 229, 162),
    "C6": (_("C6 · 162 × 114 mm"), 162, 114),
}


def _register_fonts() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _font_for(text: str) -> str:
    return CJK_FONT if _WIDE.search(text) else LATIN_FONT


def _fit(text: str, font: str, size: float, width: float, smallest: float = 6) -> tuple[str, float]:
    """Return the text and a font size at which it fits the width, cut if even 6 pt is wide."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-1]
    return text, size


def _draw_lines(
    canvas: Canvas,
    lines: list[str],
    x: float,
    top: float,
    width: float,
    size: float,
    leading: float,
) -> None:
    y = top - size
    for line in lines:
        font = _font_for(line)
        text, fitted = _fit(line, font, size, width)
        canvas.setFont(font, fitted)
        canvas.drawString(x, y, text)
        y -= leading


def labels_pdf(
    addresses: Iterable[PostalAddress],
    sheet: LabelSheet,
    output,
    *,
    skip: int = 0,
    progress=None,
) -> int:
    """Write address labels on A4 sheets to `output`; return how many were printed.

    `skip` leaves the first labels of the first sheet blank, for a sheet already partly used.
    """
    _register_fonts()
    canvas = Canvas(output, pagesize=A4, pageCompression=1)
    canvas.setTitle(str(_("Address labels")))
    page_height = A4[1]
    padding = 4 * mm
    skip = max(0, min(skip, sheet.per_page - 1))
    count = 0
    for address in addresses:
        slot = count + skip
        if count and slot % sheet.per_page == 0:
            canvas.showPage()
        position = slot % sheet.per_page
        column, row = position % sheet.columns, position // sheet.columns
        x = (sheet.left + column * sheet.pitch_x) * mm + padding
        top = page_height - (sheet.top + row * sheet.pitch_y) * mm - padding
        lines = address.lines()
        available = sheet.height * mm - 2 * padding
        size = min(10.0, available / max(len(lines), 1) / 1.25)
        _draw_lines(canvas, lines, x, top, sheet.width * mm - 2 * padding, size, size * 1.25)
        count += 1
        if progress and count % 500 == 0:
            progress(500)
    if progress and count % 500:
        progress(count % 500)
    canvas.save()
    return count


def _postcode_boxes(canvas: Canvas, postal_code: str, height: float) -> None:
    """Draw the six red postcode boxes of a Chinese envelope with the digits in them."""
    canvas.setStrokeColorRGB(0.8, 0.1, 0.1)
    digits = re.sub(r"\D", "", postal_code)[:6]
    for index in range(6):
        x, y = (12 + index * 9) * mm, height - 20 * mm
        canvas.rect(x, y, 7.5 * mm, 9 * mm)
        if index < len(digits):
            canvas.setFont(LATIN_FONT, 14)
            canvas.drawCentredString(x + 3.75 * mm, y + 2.5 * mm, digits[index])
    canvas.setStrokeColorRGB(0, 0, 0)


def _chinese_envelope(canvas: Canvas, address: PostalAddress, width: float, height: float):
    _postcode_boxes(canvas, address.postal_code, height)
    region = address.region_line()
    _draw_lines(canvas, [region], 15 * mm, height - 30 * mm, width - 30 * mm, 13, 17)
    if address.company:
        _draw_lines(canvas, [address.company], 15 * mm, height - 40 * mm, width - 30 * mm, 13, 17)
    name = f"{address.name} 收"
    text, size = _fit(name, _font_for(name), 20, width - 40 * mm)
    canvas.setFont(_font_for(name), size)
    canvas.drawCentredString(width / 2, height / 2 - 10 * mm, text)


def _sender(canvas: Canvas, sender: str, width: float, height: float, chinese: bool) -> None:
    """Print the sender: top left on a Western envelope, bottom right on a Chinese one."""
    lines = [line.strip() for line in sender.splitlines() if line.strip()][:4]
    if not lines:
        return
    if not chinese:
        _draw_lines(canvas, lines, 10 * mm, height - 8 * mm, width * 0.4, 8, 10)
        return
    y = 10 * mm + (len(lines) - 1) * 11
    for line in lines:
        font = _font_for(line)
        text, size = _fit(line, font, 9, width * 0.45)
        canvas.setFont(font, size)
        canvas.drawRightString(width - 12 * mm, y, text)
        y -= 11


def envelopes_pdf(
    addresses: Iterable[PostalAddress],
    size: str,
    output,
    *,
    sender: str = "",
    progress=None,
) -> int:
    """Write one envelope page per address to `output`; return how many were printed."""
    _register_fonts()
    _label, width_mm, height_mm = ENVELOPES[size]
    width, height = width_mm * mm, height_mm * mm
    canvas = Canvas(output, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(str(_("Envelopes")))
    count = 0
    for address in addresses:
        if count:
            canvas.showPage()
        if address.is_chinese:
            _chinese_envelope(canvas, address, width, height)
        else:
            _draw_lines(canvas, address.lines(), width * 0.45, height * 0.55, width * 0.5, 12, 15)
        _sender(canvas, sender, width, height, address.is_chinese)
        count += 1
        if progress and count % 500 == 0:
            progress(500)
    if progress and count % 500:
        progress(count % 500)
    canvas.save()
    return count
