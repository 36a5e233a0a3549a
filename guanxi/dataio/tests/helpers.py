"""Build import files and run imports in tests."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.dataio import services
from guanxi.dataio.runner import import_execute


def csv_bytes(rows, *, encoding="utf-8", delimiter=",") -> bytes:
    handle = io.StringIO()
    csv.writer(handle, delimiter=delimiter).writerows(rows)
    return handle.getvalue().encode(encoding)


def upload(user, rows=None, *, entity="account", name="customers.csv", data=None, **options):
    content = data if data is not None else csv_bytes(rows, **options)
    return services.import_upload(
        actor=user, entity_name=entity, upload=SimpleUploadedFile(name, content)
    )


def run_import(
    user, rows, *, entity="account", error_mode="skip_bad_rows", duplicates="skip", progress=None
):
    run = upload(user, rows, entity=entity)
    services.import_configure(
        actor=user,
        run=run,
        columns=run.mapping,
        error_mode=error_mode,
        duplicate_action=duplicates,
    )
    run.status = "queued"
    run.save(update_fields=["status"])
    import_execute(run, progress)
    run.refresh_from_db()
    return run
