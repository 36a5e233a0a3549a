"""Duplicate finder in the API: the groups the last scan found, and starting a scan."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.jobs import job_start
from guanxi.core.models import DuplicateCluster, Job
from guanxi.core.permissions import require
from guanxi.web.views.duplicates import visible_clusters

router = Router(tags=["Duplicates"])
MAX_LIMIT = 200


class MemberOut(Schema):
    id: int
    name: str


class ClusterOut(Schema):
    id: int
    score: float
    reasons: list[str]
    records: list[MemberOut]


class ClusterList(Schema):
    items: list[ClusterOut]
    has_more: bool


class ScanIn(Schema):
    entity: str


class ScanOut(Schema):
    job: int
    status: str
    done: int
    total: int
    percent: int
    message: str


def scan_out(job: Job) -> dict:
    return {
        "job": job.pk,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
    }


def duplicate_entity(name: str):
    entity = registry.find(name)
    if entity is None or entity.duplicates is None:
        raise ApiError(400, _("The data is not valid."), {"entity": [_("Unknown entity.")]})
    return entity


@router.get("", response=ClusterList, operation_id="duplicates_list")
def duplicates_list(request: HttpRequest, entity: str, limit: int = 50, offset: int = 0):
    """Return the groups of possible duplicates of the last scan, as far as the user sees."""
    found = duplicate_entity(entity)
    require(request.auth, found.name, Action.VIEW)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    clusters = DuplicateCluster.objects.filter(entity=found.name).order_by("-score", "id")
    chunk = list(clusters[offset : offset + limit + 1])
    groups = visible_clusters(found, request.auth, chunk[:limit])
    return {
        "items": [
            {
                "id": group["cluster"].pk,
                "score": group["cluster"].score,
                "reasons": group["reasons"],
                "records": [{"id": r.pk, "name": str(r)} for r in group["members"]],
            }
            for group in groups
        ],
        "has_more": len(chunk) > limit,
    }


@router.post("/scan", response={202: ScanOut}, operation_id="duplicates_scan")
def duplicates_scan(request: HttpRequest, payload: ScanIn):
    """Start the duplicate finder over every record of an entity; poll the job for progress."""
    found = duplicate_entity(payload.entity)
    require(request.auth, found.name, Action.EDIT)
    job = job_start(
        user=request.auth,
        kind="dedupe_scan",
        title=_("Find duplicate %(entities)s") % {"entities": found.verbose_name_plural},
        params={"entity": found.name},
    )
    job.refresh_from_db()
    return Status(202, scan_out(job))


@router.get("/scan/{int:job_id}", response=ScanOut, operation_id="duplicates_scan_status")
def duplicates_scan_status(request: HttpRequest, job_id: int):
    """Return the progress of a scan the user started."""
    job = Job.objects.filter(pk=job_id, user=request.auth, kind="dedupe_scan").first()
    if job is None:
        raise ApiError(404, _("Not found."))
    return scan_out(job)
