"""`guanxi serve`: the web server and a task worker together, for the embedded default."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Guanxi with uvicorn and run a Huey task worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="Web worker processes.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start a task worker.")

    def handle(self, *args, host, port, workers, no_worker, **options):
        import uvicorn

        worker = None
        if not no_worker:
            # The worker is its own process so a long job never slows the web server.
            worker = subprocess.Popen(
                [sys.executable, "-m", "guanxi", "run_huey", "--workers", "2"],
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "guanxi.settings"},
            )
            queue = settings.HUEY.get("url") or settings.HUEY.get("filename")
            self.stdout.write(f"Task worker started (pid {worker.pid}, queue {queue}).")
        self.stdout.write(f"Guanxi is at http://{host}:{port}/")
        try:
            uvicorn.run(
                "guanxi.asgi:application",
                host=host,
                port=port,
                workers=workers,
                log_level="info",
                lifespan="off",
            )
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
