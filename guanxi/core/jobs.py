"""Long jobs run by the task queue, with a progress record the UI shows as a bar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.core.choices import JobStatus, NotificationCategory
from guanxi.core.models import Job, User

logger = logging.getLogger(__name__)

JobHandler = Callable[[Job, "Progress"], dict]
_handlers: dict[str, JobHandler] = {}


def job_handler(kind: str):
    """Register the function that runs jobs of a kind."""

    def decorator(function: JobHandler) -> JobHandler:
        _handlers[kind] = function
        return function

    return decorator


class Progress:
    """Advance a job's counter; each call is one small UPDATE the UI polls."""

    def __init__(self, job: Job):
        self.job = job

    def set_total(self, total: int) -> None:
        Job.objects.filter(pk=self.job.pk).update(total=total)
        self.job.total = total

    def __call__(self, done: int) -> None:
        Job.objects.filter(pk=self.job.pk).update(done=F("done") + done)


def job_file_path(job: Job, filename: str) -> Path:
    """Return where a job keeps the file it makes (under GUANXI_DATA_DIR/jobs/<id>/)."""
    return Path(settings.DATA_DIR) / "jobs" / str(job.pk) / Path(filename).name


def job_start(*, user: User, kind: str, title: str, params: dict, total: int = 0) -> Job:
    """Record a job and put it on the task queue."""
    from guanxi.core.tasks import run_job

    if kind not in _handlers:
        raise ValueError(kind)
    job = Job.objects.create(user=user, kind=kind, title=title, params=params, total=total)
    # The worker must find the job row: enqueue only once it is committed.
    transaction.on_commit(lambda: run_job(job.pk))
    return job


def job_run(job_id: int) -> None:
    """Run a recorded job and store its outcome; a failure is recorded, never lost."""
    job = Job.objects.select_related("user").get(pk=job_id)
    if job.status != JobStatus.PENDING:
        return
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    language = job.user.language or "zh-hans"
    try:
        with override(language):
            result = _handlers[job.kind](job, Progress(job))
    except Exception as error:  # the job's own errors are shown to its user
        logger.exception("Job %s failed", job.pk)
        with override(language):
            message = _("The job failed: %(error)s") % {"error": error}
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, message=message, finished_at=timezone.now()
        )
        return
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        result=result,
        message=result.get("message", ""),
        finished_at=timezone.now(),
    )
    from guanxi.core.services import notify

    with override(language):
        notify(
            recipient=job.user,
            title=_("Finished: %(title)s") % {"title": job.title},
            body=result.get("message", ""),
            url=f"/jobs/{job.pk}/",
            category=NotificationCategory.JOB,
        )
