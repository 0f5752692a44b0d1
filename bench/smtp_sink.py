"""An SMTP server in its own process for the bench: appends "<arrival time> <key>" per e-mail.

python bench/smtp_sink.py PORT LOGFILE
"""

from __future__ import annotations

import re
import sys
import threading
import time

from aiosmtpd.controller import Controller

KEY = re.compile(rb"^X-Itaflow-Key: *(\S+)", re.MULTILINE | re.IGNORECASE)


class Sink:
    def __init__(self, path: str) -> None:
        self.out = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life

    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        # The key from the headers only: a real mail server is on another machine, so the
        # sink parses no more than it must on the cores the worker and producer share.
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        found = KEY.search(head)
        self.out.write(f"{arrived:.6f} {found.group(1).decode() if found else ''}\n")
        return "250 Message accepted for delivery"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
