"""Tasks of the platform on the Huey queue."""

from huey.contrib.djhuey import db_task

from guanxi.core.jobs import job_run


@db_task()
def run_job(job_id: int) -> None:
    """Run a recorded background job."""
    job_run(job_id)
