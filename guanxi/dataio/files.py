"""Read uploaded spreadsheets: CSV in any common encoding and delimiter, and Excel (xlsx).

Chinese Excel saves "CSV" as GBK; other tools write UTF-8 with or without a byte order
mark. The encoding is decided once at upload by decoding the whole file, so a run never
meets an undecodable byte half way.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import itertools
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _

DELIMITERS = [",", ";", "\t", "|"]
SAMPLE_BYTES = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"
csv.field_size_limit(10 * 1024 * 1024)


class FileError(Exception):
    """Raised when an uploaded file cannot be read; the message is shown to the user."""


def file_format(name: str, head: bytes) -> str:
    """Return "xlsx" or "csv" from the file name, checked against the first bytes."""
    lowered = name.lower()
    if lowered.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if lowered.endswith(".xls"):
        raise FileError(
            _("Old Excel files (.xls) cannot be read. Save the file as .xlsx or CSV and try again.")
        )
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    return "csv"


def detect_encoding(path: Path) -> str:
    """Return the encoding of a CSV file: utf-8-sig (BOM), utf-8 or gb18030 (GBK and more)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        if _decodes(path, encoding):
            return encoding
    raise FileError(
        _(
            "The file's text encoding could not be recognised. Save it as CSV UTF-8 "
            "(or as an Excel .xlsx file) and try again."
        )
    )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_delimiter(path: Path, encoding: str) -> str:
    """Return the delimiter of a CSV file among comma, semicolon, tab and bar."""
    with path.open("r", encoding=encoding, newline="") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise FileError(_("The file is empty."))
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first_line = sample.splitlines()[0]
        counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
        best = max(counts, key=lambda delimiter: counts[delimiter])
        return best if counts[best] else ","


def cell_text(value) -> str:
    """Return a spreadsheet cell as the text a user typed."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def read_rows(path: Path, file_format: str, encoding: str = "", delimiter: str = ",") -> Iterator:
    """Yield the rows of a file as lists of text, the header first."""
    if file_format == "xlsx":
        yield from _xlsx_rows(path)
        return
    with path.open("r", encoding=encoding or "utf-8", newline="") as handle:
        try:
            for row in csv.reader(handle, delimiter=delimiter):
                yield [cell.strip() for cell in row]
        except csv.Error as error:
            raise FileError(_("The CSV file is damaged: %(error)s") % {"error": error}) from None


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    damaged = _(
        "The Excel file is damaged or is not really an .xlsx file. Open it in Excel, "
        "save it again as .xlsx and retry."
    )
    handle = path.open("rb")
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on a malformed package
        handle.close()
        raise FileError(damaged) from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [cell_text(value) for value in values]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
        raise FileError(damaged) from None
    finally:
        workbook.close()
        handle.close()


def is_blank(row: list[str]) -> bool:
    return not any(cell for cell in row)


def inspect(path: Path, name: str) -> dict:
    """Return what an upload is: format, encoding, delimiter and header (cleaned)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise FileError(_("The file is empty."))
    kind = file_format(name, head)
    encoding, delimiter = "", ""
    if kind == "csv":
        encoding = detect_encoding(path)
        delimiter = detect_delimiter(path, encoding)
    header: list[str] | None = None
    for row in read_rows(path, kind, encoding, delimiter):
        if not is_blank(row):
            header = row
            break
    if header is None:
        raise FileError(_("The file has no header row: its first row must name the columns."))
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileError(_("The file has no header row: its first row must name the columns."))
    return {"file_format": kind, "encoding": encoding, "delimiter": delimiter, "header": header}


def data_rows(path: Path, file_format: str, encoding: str, delimiter: str) -> Iterator:
    """Yield (row number as the user sees it, cells) for every non-blank row after the header."""
    rows = read_rows(path, file_format, encoding, delimiter)
    number = 0
    for row in rows:
        number += 1
        if not is_blank(row):
            break
    for row in rows:
        number += 1
        if not is_blank(row):
            yield number, row


def count_data_rows(path: Path, file_format: str, encoding: str, delimiter: str) -> int:
    """Return how many rows `data_rows` yields."""
    if file_format == "csv":
        counted = _count_csv_rows(path, encoding, delimiter)
        if counted is not None:
            return counted
    return sum(1 for _row in data_rows(path, file_format, encoding, delimiter))


def _count_csv_rows(path: Path, encoding: str, delimiter: str) -> int | None:
    """Count the non-blank rows after the header of a CSV file, or return None when the CSV
    reader refuses the file (the slow count then raises its error).

    A line without a quote or an over-long field is a whole row, split where the
    reader splits (CR, LF or CRLF), and blank when nothing but whitespace is left without
    its delimiters; only the other lines go through the reader, which takes the further
    lines of a quoted field. Several times faster than reading every row's cells, for the
    progress bar's total before an import starts.
    """
    limit = csv.field_size_limit()
    non_blank = 0
    with path.open("r", encoding=encoding or "utf-8", newline=None) as handle:
        for line in handle:
            if '"' in line or len(line) > limit:
                reader = csv.reader(itertools.chain([line], handle), delimiter=delimiter)
                try:
                    row = next(reader)
                except csv.Error:
                    return None
                non_blank += any(cell.strip() for cell in row)
            elif line.replace(delimiter, "").strip():
                non_blank += 1
    return max(non_blank - 1, 0)
