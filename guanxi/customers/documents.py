"""Files made from customer data: the Excel copy of one person's data."""

from __future__ import annotations

import io
import json
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def personal_data_workbook(data: dict[str, Any]) -> bytes:
    """Return an .xlsx with one sheet each: the person, consents, history, linked records."""
    workbook = Workbook()
    sheet = workbook.active
    is_contact = "contact" in data
    sheet.title = (_("Contact") if is_contact else _("Customer"))[:31]
    sheet.append([_("Field"), _("Value")])
    for key, value in data["contact" if is_contact else "account"].items():
        sheet.append([key, _cell(value)])
    consents = workbook.create_sheet(_("Consents")[:31])
    consents.append([_("Channel"), _("Status"), _("Source"), _("Time"), _("User"), _("Note")])
    for row in data["consents"]:
        consents.append(
            [
                row["channel"],
                row["status"],
                row["source"],
                row["recorded_at"],
                row["recorded_by"],
                row["note"],
            ]
        )
    history = workbook.create_sheet(_("Change history")[:31])
    history.append([_("Time"), _("Action"), _("User"), _("Field"), _("Before"), _("After")])
    for entry in data["history"]:
        changes = entry["changes"] or {"": [None, None]}
        for key, (before, after) in changes.items():
            history.append(
                [entry["at"], entry["action"], entry["user"], key, _cell(before), _cell(after)]
            )
    linked = workbook.create_sheet(_("Linked records")[:31])
    linked.append([_("Record type"), _("ID"), _("Name")])
    if is_contact:
        account = data["account"]
        linked.append([_("Customer"), account["id"], account["name"]])
    else:
        for contact in data["contacts"]:
            linked.append([_("Contact"), contact["id"], contact["name"]])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
