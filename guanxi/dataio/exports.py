"""Exports: stream a scoped selection of records as CSV or Excel, in constant memory.

Values are shown as in lists (choice labels, names, localised dates) through
`display.record_value`, so field masking there applies to exports too. A cell that a
spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) is
prefixed with a single quote, so an exported file cannot attack whoever opens it.
"""

from __future__ import annotations

import csv
import re
import tempfile

from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

from guanxi.core import customfields, display, grouping, privacy
from guanxi.core.models import User
from guanxi.core.registry import Entity

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed number or phone number ("-12.5", "+86 138 0013 8000") runs nothing.
_PLAIN_NUMBER = re.compile(r"^[+-][\d\s().,/-]*$")


def neutralise(value: str) -> str:
    """Return a cell text that spreadsheets show as text, never run as a formula."""
    if value and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def export_keys(entity: Entity, definitions) -> list[str]:
    return [*entity.export_fields, *[f"custom.{d.key}" for d in definitions]]


def export_rows(entity: Entity, queryset, *, chunk_size: int = 2000, mask: bool = False):
    """Yield the header and then one row per record, reading the database a chunk at a time.

    With `mask`, personal data is masked as the user sees it on screen.
    """
    definitions = customfields.definitions(entity.name)
    by_key = {definition.key: definition for definition in definitions}
    keys = export_keys(entity, definitions)
    yield [neutralise(display.field_label(entity, key, by_key)) for key in keys]
    user_keys = {f"custom.{d.key}" for d in definitions if d.field_type == "user"}
    # Custom user fields hold ids: their names are read once, not once per row.
    users = dict(User.objects.values_list("pk", "username")) if user_keys else None
    datetime_keys = {
        key
        for key in keys
        if "." not in key
        and isinstance(getattr(entity.model, key, None), DeferredAttribute)
        and isinstance(entity.model._meta.get_field(key), models.DateTimeField)
    }
    records = grouping.with_tags(entity, queryset.iterator(chunk_size=chunk_size), chunk_size)
    for record in records:
        row = []
        for key in keys:
            if key in user_keys:
                definition = by_key[key[len("custom.") :]]
                value = customfields.display(
                    definition, (record.custom or {}).get(definition.key), users
                )
            elif key in datetime_keys:
                # Unambiguous local time that spreadsheets sort and the importer reads back.
                moment = getattr(record, key)
                value = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
            else:
                value = display.record_value(entity, record, key, by_key, mask=mask)
            row.append(neutralise(value))
        yield row


class _Echo:
    def write(self, value):
        return value


def export_filename(entity: Entity) -> str:
    return f"{entity.plural}-{timezone.localtime().strftime('%Y%m%d-%H%M')}"


def csv_response(entity: Entity, queryset, *, mask: bool = False) -> StreamingHttpResponse:
    """Return the records as a streamed CSV that Excel opens with Chinese intact."""
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # lets Excel open UTF-8 Chinese text correctly
        for row in export_rows(entity, queryset, mask=mask):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(entity)}.csv"'
    return response


def xlsx_response(entity: Entity, queryset, *, mask: bool = False) -> FileResponse:
    """Return the records as an Excel file written row by row (openpyxl write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(entity.verbose_name_plural)[:31])
    for row in export_rows(entity, queryset, mask=mask):
        sheet.append(row)
    # Spooled to disk past 32 MB; FileResponse closes the file once sent.
    handle = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{export_filename(entity)}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_response(entity: Entity, queryset, file_format: str, *, user):
    """Return the records in the format asked, masked as `user` sees them on screen."""
    mask = privacy.masks_personal_data(user)
    if file_format == "xlsx":
        return xlsx_response(entity, queryset, mask=mask)
    return csv_response(entity, queryset, mask=mask)
