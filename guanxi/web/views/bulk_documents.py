"""Bulk actions that turn a selection into something to take away (CUS-7).

Extract email addresses (a list to copy, or a streamed .txt/.csv), and print envelopes
and address labels as PDF. Up to INLINE_LIMIT records the PDF is answered at once;
larger selections become a background job whose finished file is downloaded from the
job's page.
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.core import documents, privacy, queries, registry
from guanxi.core.choices import Action
from guanxi.core.jobs import job_file_path, job_handler, job_start
from guanxi.core.permissions import require
from guanxi.core.registry import Entity
from guanxi.web.views import bulk_actions
from guanxi.web.views.bulk import INLINE_LIMIT, _as_querydict, _selection_params, selection
from guanxi.web.views.records import entity_or_404

# How many addresses the copy box shows; the download has them all.
EMAILS_SHOWN = 5000


def email_addresses(entity: Entity, queryset, *, skip_opted_out: bool, user):
    """Yield the distinct email addresses of a selection, a chunk of rows at a time."""
    if skip_opted_out:
        opted_out = next((f for f in entity.filters if f.key == "opted_out"), None)
        if opted_out is not None and opted_out.condition is not None:
            queryset = queryset.exclude(opted_out.condition(["email"], user))
    seen: set[str] = set()
    rows = (
        queryset.exclude(**{entity.email_field: ""})
        .order_by("pk")
        .values_list(entity.email_field, flat=True)
    )
    for email in rows.iterator(chunk_size=2000):
        key = email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            yield email.strip()


def _refuse_masked(user) -> None:
    # A masked email address is of no use and the real one must not leave the system.
    if privacy.masks_personal_data(user):
        raise PermissionDenied


@login_required
@require_POST
def bulk_emails(request, entity_name: str):
    """Show the selection's email addresses to copy, or stream them as .txt or .csv."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.EXPORT)
    _refuse_masked(request.user)
    queryset = selection(entity, request.user, request.POST, Action.EXPORT)
    skip = request.POST.get("include_opted_out") != "1"
    addresses = email_addresses(entity, queryset, skip_opted_out=skip, user=request.user)
    file_format = request.POST.get("format", "")
    if file_format in ("txt", "csv"):
        return _emails_download(entity, addresses, file_format)
    shown = []
    for address in addresses:
        if len(shown) == EMAILS_SHOWN:
            break
        shown.append(address)
    count, more = queries.capped_count(queryset)
    context = {
        "entity": entity,
        "current_entity": entity,
        "emails": shown,
        "emails_cut": len(shown) == EMAILS_SHOWN,
        "count": count,
        "count_more": more,
        "include_opted_out": not skip,
        "selection": _selection_params(request),
    }
    return render(request, "web/bulk_emails.html", context)


def _emails_download(entity: Entity, addresses, file_format: str):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "txt":
        stream = (address + "\n" for address in addresses)
        content_type = "text/plain; charset=utf-8"
    else:
        writer = csv.writer(_Echo())
        stream = (writer.writerow([address]) for address in addresses)
        content_type = "text/csv; charset=utf-8"
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{entity.plural}-emails-{stamp}.{file_format}"'
    )
    return response


class _Echo:
    def write(self, value):
        return value


DOCUMENTS = {
    "labels": gettext_lazy("Address labels"),
    "envelopes": gettext_lazy("Envelopes"),
}


def addresses_of(entity: Entity, queryset):
    """Yield the printable postal addresses of a selection, in a stable order."""
    rows = queryset.select_related(*entity.select_related).order_by("pk")
    for record in rows.iterator(chunk_size=1000):
        address = entity.postal_address(record)
        if address.is_printable:
            yield address


def write_document(
    entity: Entity, queryset, document: str, options: dict, output, progress=None
) -> int:
    """Write the labels or envelopes PDF of a selection; return how many were printed."""
    addresses = addresses_of(entity, queryset)
    if document == "labels":
        sheet = documents.LABEL_SHEETS[options["layout"]]
        return documents.labels_pdf(
            addresses, sheet, output, skip=options.get("skip", 0), progress=progress
        )
    return documents.envelopes_pdf(
        addresses, options["layout"], output, sender=options.get("sender", ""), progress=progress
    )


def _options(request, layouts) -> dict | None:
    """Return the chosen layout, labels to skip and sender, or None if the layout is unknown."""
    layout = request.POST.get("layout", "")
    if layout not in dict(layouts):
        return None
    skip = request.POST.get("skip", "")
    return {
        "layout": layout,
        "skip": int(skip) if skip.isdigit() else 0,
        "sender": request.POST.get("sender", "")[:300],
    }


def _layouts(document: str) -> list[tuple[str, str]]:
    if document == "labels":
        return [(key, sheet.label) for key, sheet in documents.LABEL_SHEETS.items()]
    return [(key, str(label)) for key, (label, _w, _h) in documents.ENVELOPES.items()]


def _print(request, entity_name: str, document: str):
    """Ask for the label sheet or envelope size, then answer the PDF (or start a job)."""
    entity = entity_or_404(entity_name)
    require(request.user, entity.name, Action.EXPORT)
    # Envelopes and labels carry names and postal addresses, which no role masks.
    queryset = selection(entity, request.user, request.POST, Action.EXPORT)
    count, more = queries.capped_count(queryset)
    layouts = _layouts(document)
    options = _options(request, layouts)
    if "generate" in request.POST and options is not None:
        if more or count > INLINE_LIMIT:
            job = job_start(
                user=request.user,
                kind="bulk_document",
                title=_("%(document)s of %(entity)s")
                % {"document": DOCUMENTS[document], "entity": entity.verbose_name_plural},
                params={
                    "entity": entity.name,
                    "document": document,
                    "options": options,
                    "selection": _selection_params(request),
                },
            )
            return redirect("web:job_detail", pk=job.pk)
        handle = _spooled()
        write_document(entity, queryset, document, options, handle)
        handle.seek(0)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{entity.plural}-{document}-{stamp}.pdf",
            content_type="application/pdf",
        )
    context = {
        "entity": entity,
        "current_entity": entity,
        "document": document,
        "document_label": DOCUMENTS[document],
        "layouts": layouts,
        "layout": (options or {}).get("layout") or layouts[0][0],
        "sender": request.POST.get("sender", ""),
        "count": count,
        "count_more": more,
        "selection": _selection_params(request),
    }
    return render(request, "web/bulk_print.html", context)


def _spooled():
    import tempfile

    # FileResponse closes the file once sent.
    return tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)


@login_required
@require_POST
def bulk_labels(request, entity_name: str):
    return _print(request, entity_name, "labels")


@login_required
@require_POST
def bulk_envelopes(request, entity_name: str):
    return _print(request, entity_name, "envelopes")


@job_handler("bulk_document")
def run_bulk_document(job, progress) -> dict:
    entity = registry.get(job.params["entity"])
    selected = selection(entity, job.user, _as_querydict(job.params["selection"]), Action.EXPORT)
    progress.set_total(selected.count())
    document = job.params["document"]
    filename = f"{entity.plural}-{document}.pdf"
    path = job_file_path(job, filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as output:
        printed = write_document(
            entity, selected, document, job.params["options"], output, progress=progress
        )
    return {
        "file": filename,
        "count": printed,
        "message": _("%(count)s addresses were printed.") % {"count": printed},
    }


bulk_actions.register(
    bulk_actions.BulkAction(
        key="emails",
        label=gettext_lazy("Extract email addresses"),
        icon="mail",
        view=bulk_emails,
        action=Action.EXPORT,
        shows_personal_data=True,
        applies=lambda entity: bool(entity.email_field),
    )
)
bulk_actions.register(
    bulk_actions.BulkAction(
        key="labels",
        label=gettext_lazy("Print address labels"),
        icon="tags",
        view=bulk_labels,
        action=Action.EXPORT,
        applies=lambda entity: entity.postal_address is not None,
    )
)
bulk_actions.register(
    bulk_actions.BulkAction(
        key="envelopes",
        label=gettext_lazy("Print envelopes"),
        icon="mail-opened",
        view=bulk_envelopes,
        action=Action.EXPORT,
        applies=lambda entity: entity.postal_address is not None,
    )
)
