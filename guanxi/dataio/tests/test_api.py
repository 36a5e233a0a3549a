"""The imports and exports API: upload, mapping, preview, start, status, errors, undo."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from guanxi.api.auth import token_create
from guanxi.core.models import Job
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory
from guanxi.dataio.tests.helpers import csv_bytes

pytestmark = pytest.mark.django_db


def api_client(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", ["view", "create", "delete", "export"], scope="own")
    return user


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def test_whole_import_through_the_api(rep, django_capture_on_commit_callbacks):
    api = api_client(rep)
    content = xlsx_bytes(
        [
            ["Name", "Customer grade", "Phone"],
            ["Acme", "VIP", "138 0013 8000"],
            ["", "VIP", ""],
            ["Beta", "Ordinary", ""],
        ]
    )
    uploaded = api.post(
        "/api/v1/imports",
        {"entity": "account", "file": SimpleUploadedFile("list.xlsx", content)},
    )
    assert uploaded.status_code == 201, uploaded.content
    item = uploaded.json()
    assert item["file_format"] == "xlsx"
    assert [c["target"] for c in item["columns"]] == ["name", "grade", "phone"]

    mapped = api.put(
        f"/api/v1/imports/{item['id']}/mapping",
        json.dumps(
            {
                "mapping": {"Name": "name", "Customer grade": "grade"},
                "error_mode": "skip_bad_rows",
                "duplicate_action": "skip",
            }
        ),
        content_type="application/json",
    )
    assert mapped.status_code == 200
    assert [c["target"] for c in mapped.json()["columns"]] == ["name", "grade", ""]

    preview = api.get(f"/api/v1/imports/{item['id']}/preview").json()
    assert [row["action"] for row in preview] == ["create", "error", "create"]
    assert list(preview[1]["errors"]) == ["name"]
    assert Account.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"/api/v1/imports/{item['id']}/start")
    assert started.status_code == 202
    status = api.get(f"/api/v1/imports/{item['id']}").json()
    assert (status["status"], status["created"], status["failed"]) == ("done", 2, 1)
    assert status["progress"] == {"done": 3, "total": 3, "percent": 100}
    assert Job.objects.get().status == "done"

    report = api.get(f"/api/v1/imports/{item['id']}/errors")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Row", "Name", "Customer grade", "Phone", "Errors"]
    assert rows[1][:3] == ["3", "", "VIP"]
    assert "Name" in rows[1][4]

    undone = api.post(f"/api/v1/imports/{item['id']}/undo")
    assert undone.status_code == 200
    assert undone.json()["status"] == "undone"
    assert Account.objects.count() == 0
    again = api.post(f"/api/v1/imports/{item['id']}/undo")
    assert again.status_code == 409
    assert set(again.json()) == {"detail", "errors"}


def test_bad_uploads_answer_400_with_a_clear_message(rep, settings):
    api = api_client(rep)
    broken = api.post(
        "/api/v1/imports",
        {"entity": "account", "file": SimpleUploadedFile("a.xlsx", b"PK\x03\x04junk")},
    )
    assert broken.status_code == 400
    assert "damaged" in broken.json()["detail"]
    settings.GUANXI_IMPORT_MAX_UPLOAD_MB = 1
    big = api.post(
        "/api/v1/imports",
        {"entity": "account", "file": SimpleUploadedFile("a.csv", b"name\n" + b"x\n" * 600_000)},
    )
    assert big.status_code == 400
    assert "larger than 1 MB" in big.json()["detail"]


def test_missing_required_column_is_a_400(rep):
    api = api_client(rep)
    item = api.post(
        "/api/v1/imports",
        {"entity": "account", "file": SimpleUploadedFile("a.csv", csv_bytes([["City"], ["上海"]]))},
    ).json()
    response = api.put(
        f"/api/v1/imports/{item['id']}/mapping",
        json.dumps({"columns": ["city"]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Name" in response.json()["errors"]["mapping"][0]
    assert api.post(f"/api/v1/imports/{item['id']}/start").status_code == 400


def test_import_needs_create_permission_and_imports_are_private(rep):
    viewer = UserFactory(username="viewer")
    grant(viewer, "account", ["view"], scope="all")
    response = api_client(viewer).post(
        "/api/v1/imports",
        {"entity": "account", "file": SimpleUploadedFile("a.csv", csv_bytes([["Name"], ["A"]]))},
    )
    assert response.status_code == 403
    item = (
        api_client(rep)
        .post(
            "/api/v1/imports",
            {
                "entity": "account",
                "file": SimpleUploadedFile("a.csv", csv_bytes([["Name"], ["A"]])),
            },
        )
        .json()
    )
    assert api_client(viewer).get(f"/api/v1/imports/{item['id']}").status_code == 404
    assert api_client(viewer).get("/api/v1/imports").json()["count"] == 0


def test_export_streams_within_scope_and_neutralises_formulas(rep):
    other = UserFactory(username="other")
    AccountFactory(owner=rep, name='=HYPERLINK("http://evil")', phone="+86 138 0013 8000")
    AccountFactory(owner=other, name="Not mine")
    api = api_client(rep)
    response = api.get("/api/v1/exports/account?format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2
    name = rows[0].index("Name")
    phone = rows[0].index("Phone")
    assert rows[1][name] == '\'=HYPERLINK("http://evil")'
    assert rows[1][phone] == "+86 138 0013 8000"

    workbook = load_workbook(
        io.BytesIO(b"".join(api.get("/api/v1/exports/accounts?format=xlsx").streaming_content))
    )
    values = list(workbook.active.iter_rows(values_only=True))
    assert len(values) == 2
    assert values[1][name] == '\'=HYPERLINK("http://evil")'
    assert api.get("/api/v1/exports/account?format=pdf").status_code == 400
    assert api_client(other).get("/api/v1/exports/account").status_code == 403
