#!/usr/bin/env python
"""Time an import of N account rows with the duplicate check on, and its undo.

    python bench/bench_import.py --rows 1000000 [--duplicates skip|update|create]
                                 [--file /tmp/accounts.csv] [--undo] [--profile]

Writes a CSV of N accounts (GBK, as Chinese Excel saves it; 1 row in 100 repeats an
earlier one, 1 in 200 has a wrong phone number), then runs the same code as the import
screen's background job as bench_admin (created if missing) and prints rows/s. Uses
DJANGO_SETTINGS_MODULE=guanxi.settings and honours DATABASE_URL, like generate.py.
Company names come from generate.py's bijection, far past the numbers it loads, so they
do not collide with generated accounts.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import pstats
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
os.environ.setdefault("SECRET_KEY", "guanxi-bench-not-secret")

import django

django.setup()

from django.db import connection  # noqa: E402

from guanxi.core.models import User  # noqa: E402
from guanxi.dataio import services, undo  # noqa: E402
from guanxi.dataio.choices import ImportStatus  # noqa: E402
from guanxi.dataio.runner import import_execute  # noqa: E402

NAME_OFFSET = 30_000_000
HEADER = ["客户名称", "客户类型", "客户等级", "电话", "邮箱", "省份", "城市", "地址"]
MOBILE_PREFIXES = ["35", "37", "38", "39", "50", "51", "58", "59", "86", "89"]
GRADES = ["贵宾型", "重要型", "普通型", ""]


def write_file(path: Path, rows: int, seed: int = 7) -> None:
    from generate import company_name

    rng = random.Random(seed)
    written: list[list[str]] = []
    with path.open("w", encoding="gbk", errors="replace", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(rows):
            if written and index % 100 == 99:
                writer.writerow(written[rng.randrange(len(written))])
                continue
            name, city, _brand, _industry, _english = company_name(NAME_OFFSET + index)
            phone = f"1{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
            if index % 200 == 101:
                phone = "12"
            row = [
                name,
                "客户",
                GRADES[index % 4],
                phone,
                f"info{NAME_OFFSET + index}@example.cn",
                city.province,
                city.name,
                f"{city.name}市建设路{index % 999 + 1}号",
            ]
            writer.writerow(row)
            if len(written) < 5000:
                written.append(row)


def bench_admin() -> User:
    user, created = User.objects.get_or_create(
        username="bench_admin", defaults={"is_superuser": True, "is_staff": True}
    )
    if created:
        user.set_password("guanxi-bench")
        user.save()
    return user


class Printer:
    def __init__(self):
        self.done = 0
        self.total = 0
        self.started = time.monotonic()

    def set_total(self, total):
        self.total = total

    def __call__(self, done):
        self.done += done
        if self.done % 20000 == 0 or self.done == self.total:
            elapsed = time.monotonic() - self.started
            print(
                f"  {self.done:>9,} / {self.total:,}  {self.done / elapsed:,.0f} rows/s", flush=True
            )


def reference_seconds() -> float:
    """Return the CPU seconds of a fixed piece of Python work (best of three).

    Machines of the same kind differ: the same import took 319 s on one and 496 s on
    another. Figures from two machines compare once divided by this.
    """
    best = float("inf")
    for _attempt in range(3):
        started = time.process_time()
        table = {str(number): number * 2 for number in range(1_000_000)}
        sum(len(key) for key in table)
        best = min(best, time.process_time() - started)
    return best


def backend_cpu() -> tuple[int, float]:
    """Return the pid of this connection's PostgreSQL server process (on this machine) and
    the CPU seconds it used so far; (0, 0) elsewhere."""
    if connection.vendor != "postgresql":
        return 0, 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return pid, 0.0
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_phases() -> dict[str, float]:
    """Wrap the importer's steps to add up the wall-clock seconds spent in each."""
    from guanxi.dataio import runner

    spent: dict[str, float] = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.monotonic() - started

        return wrapper

    for name in ("validate", "check_duplicates", "flush"):
        setattr(runner.Importer, name, timed(name, getattr(runner.Importer, name)))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--duplicates", default="skip", choices=["skip", "update", "create"])
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--undo", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--phases", action="store_true", help="time the importer's steps")
    args = parser.parse_args()
    path = args.file or Path(f"/tmp/guanxi-import-{args.rows}.csv")
    if not path.exists():
        started = time.monotonic()
        write_file(path, args.rows)
        megabytes = path.stat().st_size / 1e6
        print(f"wrote {path} ({megabytes:.1f} MB) in {time.monotonic() - started:.1f} s")
    print(f"reference work: {reference_seconds():.3f} CPU s (see reference_seconds)")
    user = bench_admin()
    run = services.import_from_path(actor=user, entity_name="account", path=path)
    services.import_configure(
        actor=user,
        run=run,
        columns=run.mapping,
        error_mode="skip_bad_rows",
        duplicate_action=args.duplicates,
    )
    run.status = ImportStatus.QUEUED
    run.save(update_fields=["status"])
    print(f"database: {connection.vendor}; mapping: {run.mapping}")
    phases = time_phases() if args.phases else None
    profile = cProfile.Profile() if args.profile else None
    backend_pid, backend_started = backend_cpu()
    started = time.monotonic()
    cpu_started = time.process_time()
    if profile:
        profile.enable()
    import_execute(run, Printer())
    if profile:
        profile.disable()
    seconds = time.monotonic() - started
    cpu = time.process_time() - cpu_started
    # The importer reconnects when it starts worker processes: then count the new process.
    pid, backend_seconds = backend_cpu()
    backend_seconds -= backend_started if pid == backend_pid else 0.0
    workers_cpu = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])
    run.refresh_from_db()
    print(
        f"import {run.pk}: {run.total_rows:,} rows in {seconds:.1f} s = "
        f"{run.total_rows / seconds:,.0f} rows/s; created {run.created_count:,}, "
        f"updated {run.updated_count:,}, skipped {run.skipped_count:,}, wrong {run.failed_count:,}"
    )
    # On a shared machine the wall clock depends on the neighbours; the importing
    # process's own CPU time per row does much less.
    per_cpu_second = run.total_rows / cpu
    print(f"CPU time of this process: {cpu:.1f} s = {per_cpu_second:,.0f} rows per CPU second")
    total_cpu = cpu + workers_cpu + backend_seconds
    print(
        f"CPU time of its workers {workers_cpu:.1f} s, of its database server process "
        f"{backend_seconds:.1f} s; all together {total_cpu:.1f} s = "
        f"{run.total_rows / total_cpu * 2:,.0f} rows/s on two idle cores if fully parallel"
    )
    if phases:
        print("  ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items()))
    if profile:
        pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            int(os.environ.get("LINES", "35"))
        )
    if args.undo:
        started = time.monotonic()
        undo.import_undo(actor=user, run=run)
        print(f"undo: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
