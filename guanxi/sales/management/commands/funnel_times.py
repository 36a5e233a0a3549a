"""`guanxi funnel_times`: check or rebuild the funnel's time-in-stage totals."""

from django.core.management.base import BaseCommand

from guanxi.sales import funnel_times
from guanxi.sales.models import FunnelStageTime


class Command(BaseCommand):
    help = (
        "Compare the funnel's time-in-stage totals with the stage history; with --rebuild, "
        "recompute them from it (after stage history was written or loaded by hand)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute the totals")
        parser.add_argument(
            "--pipeline", type=int, action="append", help="only this pipeline (repeatable)"
        )

    def handle(self, *args, **options):
        pipelines = options["pipeline"]
        if options["rebuild"]:
            rows = funnel_times.rebuild(pipelines)
            self.stdout.write(f"rebuilt rows={rows}")
            return
        stored = FunnelStageTime.objects.exclude(moves=0)
        if pipelines:
            stored = stored.filter(pipeline_id__in=pipelines)
        found = {
            (row.pipeline_id, row.stage_id, row.month, row.owner_key): [row.seconds, row.moves]
            for row in stored
        }
        exact = funnel_times.exact_totals(pipelines)
        keys = found.keys() | exact.keys()
        wrong = sorted(key for key in keys if found.get(key) != exact.get(key))
        for key in wrong:
            pipeline, stage, month, owner = key
            self.stdout.write(
                f"pipeline={pipeline} stage={stage} month={month:%Y-%m} owner={owner} "
                f"stored={found.get(key)} history={exact.get(key)}"
            )
        self.stdout.write(f"checked rows={len(exact)} wrong={len(wrong)}")
        if wrong:
            raise SystemExit(1)
