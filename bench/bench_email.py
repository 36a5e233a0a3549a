#!/usr/bin/env python
"""Bulk email at scale: N templated emails to a local SMTP server through the real queue.

    python bench/bench_email.py                    # 10,000 emails, a fresh SQLite database
    DATABASE_URL=postgres://… python bench/bench_email.py --count 10000

A real SMTP server (aiosmtpd, `smtp_sink.py`, in its own process) is started on a free
local port and refuses a few recipients (permanent failures); some contacts have no
address and some opted out (both skipped). The messages are written by `batch_build`
(the code behind the bulk-send screen and API) and delivered by the `drain_messages`
task with Huey in immediate mode, unthrottled (GUANXI_EMAIL_RATE=0): each one claimed,
rendered, sent over SMTP, logged as an activity on its contact's timeline and counted on
the batch. At the end every message must be sent, failed with its reason, or skipped
with its reason — none lost.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()

    import subprocess

    port = free_port()
    count_file = tempfile.mktemp(prefix="gx-smtp-count-")
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("smtp_sink.py")), str(port), count_file],
        stdout=subprocess.PIPE,
        text=True,
    )
    server.stdout.readline()  # "ready"
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["HUEY_IMMEDIATE"] = "1"
    os.environ["GUANXI_EMAIL_RATE"] = "0"
    os.environ.setdefault("SECRET_KEY", "guanxi-bench-not-secret")
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("GUANXI_DATA_DIR", tempfile.mkdtemp(prefix="gx-bench-email-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    logging.getLogger("guanxi.events").setLevel(logging.WARNING)
    try:
        sent = run(args.count)
    finally:
        server.terminate()
        server.wait()
    received = int(Path(count_file).read_text())
    print(f"SMTP server received {received:,} messages")
    assert received == sent, "the server did not receive every message counted as sent"


def run(count: int) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from guanxi.activities import batches
    from guanxi.activities.choices import Channel
    from guanxi.activities.models import Activity, MessageTemplate
    from guanxi.core.models import User
    from guanxi.customers.choices import ConsentChannel, ConsentStatus
    from guanxi.customers.models import Account, Consent, Contact

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}, {count:,} recipients")
    user, _created = User.objects.get_or_create(
        username="bench.email", defaults={"language": "zh-hans"}
    )
    account = Account.objects.create(name="杭州云帆科技有限公司", owner=user)
    first_name = ["张伟", "李娜", "John Smith", "王芳", "Emily Chen"]
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                account=account,
                owner=user,
                name=first_name[index % 5],
                email="" if index % 100 == 7 else f"c{index}@example.cn",
            )
            for index in range(count)
        ],
        batch_size=2000,
    )
    opted_out = contacts[3::200]
    Consent.objects.bulk_create(
        [
            Consent(
                contact=contact,
                channel=ConsentChannel.EMAIL,
                status=ConsentStatus.WITHDRAWN,
                current=True,
            )
            for contact in opted_out
        ]
    )
    for contact in contacts[11::500]:
        contact.email = f"bounce{contact.pk}@example.cn"
    Contact.objects.bulk_update(contacts[11::500], ["email"])
    template = MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="bench",
        language="zh-hans",
        subject="{{ account.name }}：新品发布会邀请",
        body="{{ contact.name }}您好，诚邀您参加新品发布会。{{ user.name }}",
    )
    MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="bench",
        language="en",
        subject="{{ account.name }}: product launch",
        body="Dear {{ contact.name }}, you are invited to our launch.",
    )
    batches.DRAIN_BUDGET = 24 * 3600.0
    batch = batches.batch_create(actor=user, channel=Channel.EMAIL, template=template)

    started = time.perf_counter()
    batch = batches.batch_build(
        actor=user,
        batch=batch,
        entity_name="contact",
        queryset=Contact.objects.filter(account=account),
    )
    elapsed = time.perf_counter() - started
    batch.refresh_from_db()

    statuses = dict(batch.messages.values_list("status").annotate(n=Count("id")))
    without_reason = batch.messages.filter(status__in=["failed", "skipped"], last_error="").count()
    accounted = batch.sent_count + batch.failed_count + batch.skipped_count
    sent_rate = batch.sent_count / elapsed
    print(f"statuses: {statuses}")
    print(
        f"batch: total {batch.total:,}, sent {batch.sent_count:,}, failed {batch.failed_count:,},"
        f" skipped {batch.skipped_count:,}; accounted {accounted:,};"
        f" without reason {without_reason}"
    )
    print(f"timeline activities: {Activity.objects.filter(kind='email').count():,}")
    print(f"elapsed {elapsed:.1f} s (writing + sending) → {sent_rate:,.0f} emails sent/s")
    assert accounted == batch.total == count, "a message is not accounted for"
    assert without_reason == 0
    assert statuses.get("queued", 0) == statuses.get("sending", 0) == 0
    return batch.sent_count


if __name__ == "__main__":
    main()
