"""The committed OpenAPI document is the API's contract: a change to it must be deliberate."""

import json
from pathlib import Path

from django.utils.translation import override

from guanxi.api.router import api

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
REGENERATE = (
    "guanxi export_openapi_schema --api guanxi.api.router.api --indent 2 --output docs/openapi.json"
)


def test_openapi_document_matches_the_committed_one():
    with override("en"):
        current = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
    committed = json.loads(COMMITTED.read_text())
    assert sorted(current["paths"]) == sorted(committed["paths"]), f"run: {REGENERATE}"
    assert current == committed, f"The API changed; review it, then run: {REGENERATE}"
