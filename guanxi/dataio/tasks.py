"""Background jobs of imports: the run and the undo of a large import."""

from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.jobs import job_handler
from guanxi.dataio.choices import ImportStatus
from guanxi.dataio.models import ImportRun


@job_handler("import")
def run_import(job, progress) -> dict:
    from guanxi.dataio.runner import import_execute

    run = ImportRun.objects.select_related("user").get(pk=job.params["import"])
    try:
        return import_execute(run, progress)
    except Exception as error:
        # Rows committed before the failure stay recorded, so the import can be undone.
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED,
            message=_("The import stopped: %(error)s") % {"error": error},
            finished_at=timezone.now(),
        )
        raise


@job_handler("import_undo")
def run_import_undo(job, progress) -> dict:
    from guanxi.dataio.undo import import_undo

    run = ImportRun.objects.select_related("user").get(pk=job.params["import"])
    import_undo(actor=job.user, run=run, progress=progress)
    return {"message": run.message, "import": run.pk}
