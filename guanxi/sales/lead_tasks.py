"""Periodic work and background jobs of leads."""

from __future__ import annotations

from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core.jobs import job_handler
from guanxi.sales.lead_conversion import leads_convert_bulk
from guanxi.sales.lead_scoring import leads_rescore_all
from guanxi.sales.lead_services import leads_reassign_overdue


@db_periodic_task(crontab(minute="*/15"))
def leads_reassign_every_quarter_hour() -> int:
    """Hand on the leads nobody contacted within their rule's hours."""
    return leads_reassign_overdue()


@job_handler("leads_convert")
def run_leads_convert(job, progress) -> dict:
    """Convert the chosen leads one by one, with a progress bar."""
    ids = [int(pk) for pk in job.params.get("ids", [])]
    progress.set_total(len(ids))
    outcome = leads_convert_bulk(actor=job.user, lead_ids=ids, progress=progress)
    return {
        **outcome,
        "message": _("%(converted)s leads converted, %(failed)s not.") % outcome,
    }


@job_handler("leads_rescore")
def run_leads_rescore(job, progress) -> dict:
    """Recompute every open lead's score after the scoring rules changed."""
    changed = leads_rescore_all(progress=progress)
    return {"count": changed, "message": _("%(count)s scores changed.") % {"count": changed}}
