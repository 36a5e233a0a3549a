"""A local SMTP server for bench_email.py, in its own process as a real server would be.

It accepts every message except to addresses containing "bounce" (550, a permanent
failure), and on SIGTERM writes how many messages it accepted to the file it was given.
"""

import asyncio
import signal
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self):
        self.received = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce" in address:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 Message accepted for delivery"


def main() -> None:
    port, count_file = int(sys.argv[1]), sys.argv[2]
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    loop = asyncio.new_event_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.set_result(None))
    print("ready", flush=True)
    loop.run_until_complete(stop)
    controller.stop()
    with open(count_file, "w") as output:
        output.write(str(handler.received))


if __name__ == "__main__":
    main()
