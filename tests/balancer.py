"""Replicas behind nginx on the loopback address: deploy/nginx.conf, its replicas' addresses put in, run by the Debian
package's nginx in front of N `streamlit run` (tests/load.py's `serve`). By hand, the class load through it:

    python tests/balancer.py --replicas 2 --sessions 8 --seconds 60

prints load.py's table for the sessions through the balancer, and which replica each browser stayed on (from nginx's
own log of every websocket it passed: the browser's route cookie, and the replica's address). tests/test_deploy.py
runs a small version, and the fault: one replica stopped under its sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from browser_kit import CHROMIUM, CHROMIUM_ARGS
from load import FIRST_DRAW_S, IDLE, PAGES, UPDATE_S, _until, free_port, load, report, serve, stop

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# each websocket nginx passes: the browser's route key and the replica it went to (the stream's request line)
STREAM_LOG = 'log_format streams "$route $upstream_addr $status $request_uri";'


def render(upstreams: list[str], port: int, folder: Path) -> str:
    """deploy/nginx.conf for these replicas (host:port each), listening on the loopback port, its pid file, temporary
    files and a log of the websockets it passed in `folder`, and each response saying which replica made it (the
    X-Replica header: for the tests, which must know where each browser's websocket went; not for a real host, to
    whose browsers the replicas' addresses are nobody's business)."""
    text = CONFIG.read_text()
    servers = "".join(f"        server {address} max_fails=1 fail_timeout=30s;\n" for address in upstreams)
    text, count = re.subn(r"(        server app\d+:8501[^\n]*\n)+", servers, text)
    assert count == 1, "deploy/nginx.conf's replicas are one run of `server appN:8501` lines"
    text = text.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    text = text.replace("/tmp/derivlib-nginx", str(folder / "nginx"))
    text = text.replace("    access_log off;\n", f"    access_log off;\n    {STREAM_LOG}\n", 1)
    indent = " " * 12
    extra = f"{indent}access_log {folder / 'streams.log'} streams;\n"
    extra += f"{indent}add_header X-Replica $upstream_addr always;\n"
    passing = f"{indent}proxy_pass http://derivlib;\n"
    return text.replace(passing, passing + extra, 1)


def check(config: Path) -> subprocess.CompletedProcess:
    """`nginx -t` on the file: its syntax, and that every directive is nginx's."""
    error_log = config.parent / "error.log"  # not the package's /var/log/nginx, which a user may not write to
    command = [NGINX, "-t", "-c", str(config), "-e", str(error_log)]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


class Balancer:
    """N replicas and nginx in front of them, on loopback ports; `url` is the balancer's. A context manager."""

    def __init__(self, replicas: int, environment: dict | None = None) -> None:
        self.environment = environment or {}
        self.count = replicas
        self.folder = Path(tempfile.mkdtemp(prefix="derivlib-balancer-"))
        self.folder.chmod(0o777)  # nginx's workers run as nobody when it is started as root
        self.servers: list[tuple[subprocess.Popen, str]] = []
        self.nginx: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> Balancer:
        secret = {"STREAMLIT_SERVER_COOKIE_SECRET": "derivlib-balancer-test"}  # one for all, as compose sets it
        self.servers = [serve(self.environment | secret) for _ in range(self.count)]
        port = free_port()
        config = self.folder / "nginx.conf"
        config.write_text(render([url.removeprefix("http://") for _, url in self.servers], port, self.folder))
        (self.folder / "nginx").mkdir(exist_ok=True)
        checked = check(config)
        if checked.returncode:
            self.__exit__(None, None, None)
            raise RuntimeError(checked.stderr)
        self.nginx = subprocess.Popen(
            [NGINX, "-c", str(config), "-e", str(self.folder / "error.log"), "-g", "daemon off;"],
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{self.url}/nginx-health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not answer")

    def __exit__(self, *_) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=20)
        for process, _ in self.servers:
            if not process.log.closed:  # (a replica stopped on purpose is stopped already)
                stop(process)

    def stop_replica(self, address: str) -> None:
        """Stop the replica at this host:port, as a crash or a node drained would."""
        for process, url in self.servers:
            if url.removeprefix("http://") == address:
                stop(process)
                return
        raise ValueError(f"no replica at {address}")

    def replica_of(self) -> dict[str, set[str]]:
        """Each browser's route key -> the replicas its websockets went to, from nginx's log (a websocket is logged
        when it closes: call after the browsers are gone)."""
        found: dict[str, set[str]] = defaultdict(set)
        log = self.folder / "streams.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            route, upstream, status, uri = line.split(" ", 3)
            if uri.startswith("/_stcore/stream") and status == "101":
                found[route].add(upstream.split(",")[-1].strip())  # "a, b": tried a (gone), then b
        return dict(found)


# ---------------------------------------------------------------------------------------------------------------------
# The fault: a replica stopped under its sessions


class Student:
    """A browser on one page of its own (load.py's PAGES, its own parameters), recording each websocket handshake:
    when, and which replica answered (the X-Replica header, from Chromium's DevTools protocol)."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.scenario, self.typed, self.template, self.value, self.query = PAGES[index % len(PAGES)]
        self.a, self.b = 1 + index, 0.5 + index / 4
        self.handshakes: list[tuple[float, str]] = []
        self.problems: list[str] = []
        self.text, self.expected = "", 0.0

    async def open(self, browser, url: str) -> None:
        self.context = await browser.new_context(viewport={"width": 1366, "height": 900})
        self.page = await self.context.new_page()
        devtools = await self.context.new_cdp_session(self.page)
        await devtools.send("Network.enable")
        devtools.on("Network.webSocketHandshakeResponseReceived", self._handshake)
        link = self.scenario.link(self.template, p_a=self.a, p_b=self.b, **self.query)
        await self.page.goto(url + link, timeout=FIRST_DRAW_S * 1000)
        if await _until(self.page, self.scenario, self.value(self.a, self.b), FIRST_DRAW_S) is None:
            self.problems.append("first draw: never showed its number")

    def _handshake(self, event: dict) -> None:
        headers = {name.lower(): value for name, value in event["response"]["headers"].items()}
        self.handshakes.append((time.monotonic(), headers.get("x-replica", "?").split(",")[-1].strip()))

    @property
    def replica(self) -> str:
        return self.handshakes[-1][1] if self.handshakes else "?"

    async def type_own_formula(self, step: int) -> None:
        """A formula of its own, typed, and its number on the chart (the link holds it from then on)."""
        self.text, self.expected = self.typed(self.a + step, self.b + 2 * step)
        box = self.page.get_by_role("textbox", name=self.scenario.box, exact=True)
        await box.fill(self.text)
        await box.press("Enter")
        if await _until(self.page, self.scenario, self.expected, UPDATE_S) is None:
            self.problems.append(f"{self.text!r} never showed {self.expected:g}")
        await self.page.wait_for_selector(IDLE, timeout=UPDATE_S * 1000)

    async def shows_own_formula(self, seconds: float) -> float | None:
        """Seconds until the page shows its typed formula's number again with the formula in its box (None: never)."""
        started = time.monotonic()
        if await _until(self.page, self.scenario, self.expected, seconds) is None:
            return None
        box = self.page.get_by_role("textbox", name=self.scenario.box, exact=True)
        while await box.input_value() != self.text:
            if time.monotonic() - started > seconds:
                return None
            await asyncio.sleep(0.1)
        return time.monotonic() - started


async def fault(balancer: Balancer, students: int, seconds: float = 60.0) -> dict:
    """`students` browsers through the balancer, each with a formula of its own typed; then the replica holding most
    of them stopped. The students on it must reconnect through nginx to another replica (a new websocket handshake,
    answered there) and still show their own formula and its number; everyone then types another formula of their
    own, which must be drawn (on the new replica, the first run of the new session keeps what the page's widgets hold:
    `page_kit.widgets_in_browser`). Returns the replica stopped and, for each student, the replica it was on (and went
    to), whether it moved, the seconds from the stop to its new handshake, and its problems, if any."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        crowd = [Student(i) for i in range(students)]
        for student in crowd:  # one after another: the first run of each page imports what it needs
            await student.open(browser, balancer.url)
        await asyncio.gather(*(student.type_own_formula(1) for student in crowd))
        load_by_replica: dict[str, int] = defaultdict(int)
        for student in crowd:
            load_by_replica[student.replica] += 1
        victim = max(load_by_replica, key=load_by_replica.__getitem__)
        was = {student.index: (student.replica, len(student.handshakes)) for student in crowd}
        stopped = time.monotonic()
        balancer.stop_replica(victim)
        while time.monotonic() - stopped < seconds and any(
            len(s.handshakes) == was[s.index][1] for s in crowd if was[s.index][0] == victim
        ):
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)  # time for any other page to notice, were it disturbed
        shown = await asyncio.gather(*(student.shows_own_formula(5.0) for student in crowd))
        for student, seconds_shown in zip(crowd, shown, strict=True):
            if seconds_shown is None:
                student.problems.append(f"after the stop, its page no longer shows {student.text!r}")
        await asyncio.gather(*(student.type_own_formula(2) for student in crowd))  # everyone goes on
        result = {
            "victim": victim,
            "students": [
                {
                    "was_on": was[student.index][0],
                    "now_on": student.replica,
                    "moved": len(student.handshakes) > was[student.index][1],
                    "back_after": next((t - stopped for t, _ in student.handshakes if t > stopped), None),
                    "problems": student.problems,
                }
                for student in crowd
            ],
        }
        await browser.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    options = parser.parse_args()
    with Balancer(options.replicas, {"DERIVLIB_FUSE": "0"}) as balancer:
        sessions, wall = asyncio.run(load(balancer.url, options.sessions, options.seconds))
    row = report(sessions, wall, [])
    print(
        f"{options.sessions} sessions through nginx to {options.replicas} replicas: {row['ok']}/{options.sessions} "
        f"all correct, first draw at most {row['first_max']:.1f} s, {row['updates']} updates, p50 {row['p50']:.2f} s, "
        f"p95 {row['p95']:.2f} s"
    )
    routes = balancer.replica_of()
    spread: dict[str, int] = defaultdict(int)
    for replicas in routes.values():
        spread[" and ".join(sorted(replicas))] += 1
    print("browsers per replica:", dict(spread))
    for problem in row["problems"]:
        print("   ", problem)


if __name__ == "__main__":
    main()
