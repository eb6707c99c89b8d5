"""Helper processes: a Python program started once, that answers requests over a pair of pipes, one at a time.

The symbolic cross-checks need one (their program forks a child per request for sympy's work, and kills it when the
time budget runs out): forking the page's own process is unsafe (Streamlit runs threads, and torch may), and a fresh
process per request would spend seconds importing torch. `Helper` owns one such program's command, its lock and its
current `HelperProcess`; `serve` is the loop the program runs. An answer is a pair (results, why the rest is
missing), "" when nothing is; a helper that does not answer gives ({}, why) instead.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT = 60.0  # seconds for a helper process to start (the symbolic ones import derivlib: torch, sympy)
REPLY_SLACK = 10.0  # seconds beyond a request's budget for the helper to reply, before it is presumed stuck
NICENESS = 10  # a helper's CPU priority below the server's, in steps of Linux nice

Answer = tuple[dict, str]  # the results, and why the rest is missing ("" when nothing is)
Receiving = Callable[[], contextlib.AbstractContextManager]  # the context that an answer is unpickled in


def lower_priority() -> None:
    """A helper process's CPU priority below the server's (Linux nice): sympy, seconds per formula, then takes only
    the CPU that the pages' own computations leave, and a crowd of new formulas does not slow every page."""
    if hasattr(os, "nice"):
        os.nice(NICENESS)


def serve(answer: Callable[..., Answer]) -> None:
    """A helper process's loop, at a lower priority: answer each request (a tuple of `answer`'s arguments) on the
    pipes named in argv, until the page's process goes away."""
    lower_priority()
    requests = Connection(int(sys.argv[1]), writable=False)
    replies = Connection(int(sys.argv[2]), readable=False)
    replies.send("ready")
    while True:
        try:
            request = requests.recv()
        except EOFError:
            return
        replies.send(answer(*request))


class HelperProcess:
    """One running helper: a Python process started with `command` (a `python -c` program that calls `serve`), and
    the two pipes to it. Its answers are unpickled inside `receiving()`: sympy's helpers pass a context that switches
    sympy's evaluation off, so that rebuilding an answer cannot set off a computation that never ends."""

    def __init__(self, command: str, receiving: Receiving = contextlib.nullcontext) -> None:
        helper_in, parent_out = os.pipe()
        parent_in, helper_out = os.pipe()
        root = str(Path(__file__).resolve().parent.parent)  # so that the helper imports this very derivlib
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        self.popen = subprocess.Popen(
            [sys.executable, "-c", command, str(helper_in), str(helper_out)],
            pass_fds=(helper_in, helper_out),
            env={**os.environ, "PYTHONPATH": path},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C meant for the page does not interrupt the helper mid-reply
        )
        os.close(helper_in)
        os.close(helper_out)
        self.requests = Connection(parent_out, readable=False)
        self.replies = Connection(parent_in, writable=False)
        self.receiving = receiving
        self.ready = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def ask(self, request: tuple, timeout: float) -> Any:
        """The helper's answer to a request, or None when it does not answer in time (`timeout` + REPLY_SLACK
        seconds, after STARTUP_TIMEOUT for starting the first time). EOFError or OSError when it has died."""
        if not self.ready:
            if not self.replies.poll(STARTUP_TIMEOUT):
                return None
            self.ready = self.replies.recv() == "ready"
        self.requests.send(request)
        if not self.replies.poll(timeout + REPLY_SLACK):
            return None
        with self.receiving():
            return self.replies.recv()

    def close(self) -> None:
        self.popen.kill()
        self.popen.wait()
        self.requests.close()
        self.replies.close()


class Helper:
    """A helper program, run by one process at a time: started by the first request, again when it has died, and
    closed when it does not answer in time (the next request then starts a new one). Requests are answered one at a
    time, so that each reply goes to the thread that asked.

    `command` and `process` may be swapped (tests do) between requests; `name` says who did not answer.
    """

    def __init__(
        self, command: str, *, name: str = "the helper process", receiving: Receiving = contextlib.nullcontext
    ):
        self.command = command
        self.name = name
        self.receiving = receiving
        self.process: HelperProcess | None = None
        self.lock = threading.Lock()  # a helper answers one request at a time

    def ask(self, request: tuple, timeout: float) -> Answer:
        """The answer to `request` within `timeout` seconds (and REPLY_SLACK), or ({}, "<name> did not answer")."""
        with self.lock:
            if self.process is not None and not self.process.alive():
                self.close()
            if self.process is None:
                self.process = HelperProcess(self.command, self.receiving)
            try:
                answer = self.process.ask(request, timeout)
            except (EOFError, OSError):  # the helper died during the request
                answer = None
            if answer is None:
                self.close()
                return {}, f"{self.name} did not answer"
            return answer

    def close(self) -> None:
        """End the running process, if any (between requests: `ask` holds the lock while it calls this)."""
        if self.process is not None:
            self.process.close()
            self.process = None
