"""Many users at once: N browser sessions against one `streamlit run`, each on its own share link, typing formulas
and moving sliders. `python tests/load.py` (by hand; prints a table), `--sessions 1 4 16 --seconds 60`; as a class
of students who read each answer before the next change, `--sessions 8 16 --think 10`.

A first visit to each page warms the server up (imports); then session i opens a link of page i mod 3 (one variable, two
variables, optimisation) with its own parameters, then for the given time alternates typing a formula of its own (every
third one of the page's examples) and moving a parameter's slider (on the pages with a map, every other time a click on
the map instead: the picked point's f, or Newton's path from there, must show), every third formula after a typo
(`3 x^^2`: its message with the caret must show and the last chart stay). After each action it waits until the chart
shows the number that session must see (f's largest value on the range, or the minimum Newton's method found) and
records the latency; it checks that its formula box still holds its own text, and that no error or exception is on its
page. `--think` seconds pass between two actions (from half to one and a half times it, at random). The server's memory
(resident set of its process tree) is sampled twice a second; its CPU seconds (and the browsers') are read from /proc at
the sessions' start and end.

Not a test (timings are measured and printed); tests/test_load.py runs a small version of it and asserts the
correctness part: every session sees its own values, and nobody an error.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_kit import CHROMIUM, CHROMIUM_ARGS, CLICK_TARGET, MAP  # noqa: E402

CHART = "document.querySelector('.stPlotlyChart .js-plotly-plot')"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SLIDER_STEP = 0.01  # page_kit.parameter_sliders: one arrow key moves a parameter by this
FIRST_DRAW_S = 180  # a session's first page may wait this long (the server's first run imports torch)
UPDATE_S = 120  # … and each later update
SETTLE_TRIES, SETTLE_S = 3, 1.0  # a page is checked when idle; a box not yet showing its text is looked at again


# ---------------------------------------------------------------------------------------------------------------------
# What each page must show: the link, how to read the number off its chart, and the number


@dataclass(frozen=True)
class Click:
    """A click on a page's map, as a student makes it: where it falls, what it must bring, and how to read that."""

    area: tuple[float, float, float, float]  # x from, to, y from, to: the page's default ranges, less a margin
    must: Callable[[float, float, float, float], float]  # (a, b, x, y) -> the number, for the link formula's a and b
    reads: str  # a JS function of {label, x, y} (label: the page's "at (x, y)") giving it, null while it is not there


@dataclass(frozen=True)
class Scenario:
    path: str  # page address without the query
    box: str  # the formula box's accessible name
    measure: str  # JS body evaluated with `p` the first chart: the session's number, or null while not drawn
    tolerance: float  # relative: the browser gets float32 maps
    click: Click | None = None  # None: no map to click

    def link(self, formula: str, **query) -> str:
        return f"{self.path}?{urlencode({'expr': formula} | query)}"


ONE = Scenario(
    "/",
    "Formula f(x) =",
    "Math.max(...p._fullData[0].y.filter(Number.isFinite))",  # f on -5 … 5: largest at an end
    1e-6,  # the chart is sent in float32 (125 + sin 5 arrives as 124.04108)
)
TWO = Scenario(
    "/two_variables",
    "Formula f(x, y) =",
    "Math.max(...Array.from(p._fullData[0].z, row => Math.max(...Array.from(row).filter(Number.isFinite))))",
    1e-5,
    Click(  # f at the picked point, in its table (the row "f(x₀, y₀)" of the table headed "at (x, y)")
        (-4.5, 4.5, -4.5, 4.5),
        lambda a, b, x, y: a * x * x + b * y * y,
        """({label}) => {
            const table = [...document.querySelectorAll('[data-testid="stTable"]')]
                .find(t => t.innerText.includes(label));
            const row = table && [...table.querySelectorAll('tr')].find(r => r.innerText.includes('f(x₀, y₀)'));
            return row ? parseFloat(row.lastElementChild.innerText) : null;
        }""",
    ),
)
OPTIMISATION = Scenario(
    "/optimisation",
    "Formula f =",
    "(() => { const t = p._fullData.find(t => t.name === 'Newton: minimum found'); return t ? t.x[0] : null; })()",
    1e-6,
    Click(  # where Newton's path starts: the clicked point
        (-1.8, 1.8, -0.8, 2.8),
        lambda a, b, x, y: x,
        f"""() => {{
            const p = {CHART}, path = p && p._fullData && p._fullData.find(t => t.meta === 'path');
            return path ? path.x[0] : null;
        }}""",
    ),
)


def one_formula(a: float, b: float) -> tuple[str, float]:
    return f"{a:g} x^2 + {b:g}", 25 * a + b  # largest at x = ±5


def two_formula(a: float, b: float) -> tuple[str, float]:
    return f"{a:g} x^2 + {b:g} y^2", 25 * (a + b)  # at the corners of [-5, 5]²


def optimisation_formula(a: float, b: float) -> tuple[str, float]:
    return f"(x - {a:g})^2 + (y - {b:g})^2", a  # Newton: one step to (a, b)


PAGES = [
    (ONE, one_formula, "a x^2 + b", lambda a, b: 25 * a + b, {"points": 100_000}),
    (TWO, two_formula, "a x^2 + b y^2", lambda a, b: 25 * (a + b), {"points": 200}),
    (OPTIMISATION, optimisation_formula, "(x - a)^2 + (y - b)^2", lambda a, b: a, {"methods": "newton"}),
]
# Some of each page's examples (its list under the formula box), with the number each must show, by hand: f's
# largest value on [-5, 5] (at x = 5: 125 + sin 5, log 5), on [-5, 5]² (x³ − 3xy² at (−5, ±5): −125 + 375; the
# Rosenbrock function at (−5, −5): 6² + 100·30²), and where Newton's method ends (Booth's quadratic at (1, 3), in one
# step; Rosenbrock's valley at (1, 1)).
EXAMPLES = {
    ONE.path: [("x^3 + sin(x)", 125 + math.sin(5)), ("log(x)", math.log(5))],
    TWO.path: [("x^3 - 3x y^2", 250.0), ("(1 - x)^2 + 100(y - x^2)^2", 90036.0)],
    OPTIMISATION.path: [("(x + 2y - 7)^2 + (2x + y - 5)^2", 1.0), ("(1 - x)^2 + 100(y - x^2)^2", 1.0)],
}


# ---------------------------------------------------------------------------------------------------------------------
# The server, and its memory


def free_port() -> int:
    """A TCP port free on the loopback address (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(environment: dict | None = None, cpus: set[int] | None = None) -> tuple[subprocess.Popen, str]:
    """`streamlit run streamlit_app.py` on a free port, as the README starts it (on the CPUs `cpus` alone, where
    given); returns the process and its URL."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop): stderr in a file, never a pipe that fills
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ | (environment or {}),
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
        preexec_fn=None if cpus is None else functools.partial(os.sched_setaffinity, 0, cpus),
    )
    process.log = log
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return process, url
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError("streamlit run did not answer")


def stop(process: subprocess.Popen) -> str:
    """Stops the server and everything it started; returns what it wrote to stderr (tracebacks would be there)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    process.log.seek(0)
    err = process.log.read().decode(errors="replace")
    process.log.close()
    return err


def tree_sum(pid: int, measure: Callable[[Path], tuple[int, float]]) -> float:
    """The sum of a measure over a process and all its descendants, from /proc: `measure(/proc/<pid>)` gives a
    process's parent and its value (OSError: a process that ended meanwhile, left out)."""
    children: dict[int, list[int]] = {}
    values: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent, values[int(entry.name)] = measure(entry)
        except OSError:
            continue
        children.setdefault(parent, []).append(int(entry.name))
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += values.get(current, 0.0)
        stack.extend(children.get(current, []))
    return total


def _resident(process: Path) -> tuple[int, float]:
    fields = dict(line.split(":", 1) for line in (process / "status").read_text().splitlines() if ":" in line)
    return int(fields.get("PPid", "0").strip()), int(fields.get("VmRSS", "0 kB").split()[0]) * 1024


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(process: Path) -> tuple[int, float]:
    """A process's parent and the CPU seconds it and its waited-for children used (user and system)."""
    rest = (process / "stat").read_text().rsplit(")", 1)[1].split()  # after "(comm)", which may hold spaces
    return int(rest[1]), sum(int(value) for value in rest[11:15]) / TICKS


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and all its descendants (the server: Streamlit, its threads, the
    sympy helper, the compiler's workers)."""
    return tree_sum(pid, _cpu)


def cpu_mark(marks: list[tuple[float, float, float]], pid: int) -> None:
    """The server's, the browsers' and the server's compiler worker's CPU seconds so far, appended to `marks`."""
    marks.append((tree_cpu(pid), browsers_cpu(), compiler_cpu(pid)))


def compiler_cpu(pid: int) -> float:
    """CPU seconds used so far by the server's compiler worker (derivlib/compiler.py): a formula's program is
    compiled once for the server, however many sessions run it, so it is counted apart from the work per update."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and _cpu(entry)[0] == pid
                and b"derivlib.compiler" in (entry / "cmdline").read_bytes()
            ):
                total += tree_cpu(int(entry.name))
        except OSError:
            continue
    return total


def browsers_cpu() -> float:
    """CPU seconds used so far by every Chromium process on this machine: what the load's own browsers cost."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().startswith("chrom"):
                total += _cpu(entry)[1]
        except OSError:
            continue
    return total


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    return int(tree_sum(pid, _resident))


class MemoryWatch(threading.Thread):
    """Samples the server tree's resident memory every `every` seconds until stopped."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.samples = pid, every, []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((time.monotonic(), tree_rss(self.pid)))
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


# ---------------------------------------------------------------------------------------------------------------------
# Sessions


@dataclass
class Session:
    index: int
    first_draw: float | None = None  # seconds from opening the link to the right number on the chart
    latencies: list[float] = field(default_factory=list)  # each later update: action to the right number
    problems: list[str] = field(default_factory=list)  # wrong numbers, foreign formulas, errors on the page
    clicks: int = 0  # of the updates, clicks on a map
    # The server's side, from the page's websocket frames (seen by the browser's network process, which the pages'
    # drawing does not hold up): seconds from a run asked for (the first unanswered rerun request) to a run finished,
    # the first run's apart (asked for once the page's code has loaded).
    runs: list[float] = field(default_factory=list)
    first_answer: float | None = None
    asked: float | None = None  # when the oldest unanswered rerun request went out


def watch_runs(page, session: Session, opened: float) -> None:
    """Record the server's answer times of the session's runs (Session.runs, first_answer) from its websocket."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    done = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)

    def sent(payload) -> None:
        asking = isinstance(payload, bytes) and BackMsg.FromString(payload).WhichOneof("type") == "rerun_script"
        if asking and session.asked is None:
            session.asked = time.monotonic()

    def received(payload) -> None:
        if not isinstance(payload, bytes) or len(payload) > 1000:  # a run's end is a small message; charts are not
            return
        message = ForwardMsg.FromString(payload)
        if message.WhichOneof("type") != "script_finished" or message.script_finished not in done:
            return
        now = time.monotonic()
        if session.first_answer is None:
            session.first_answer = now - (opened if session.asked is None else session.asked)
        elif session.asked is not None:
            session.runs.append(now - session.asked)
        session.asked = None

    page.on("websocket", lambda socket: (socket.on("framesent", sent), socket.on("framereceived", received)))


async def _number(page, scenario: Scenario):
    return await page.evaluate(
        f"() => {{ const p = {CHART}; if (!p || !p._fullData) return null; return {scenario.measure}; }}"
    )


async def _until(page, scenario: Scenario, expected: float, seconds: float) -> float | None:
    """Seconds until the chart shows `expected` (None if it never did within `seconds`)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            value = await _number(page, scenario)
        except Exception:  # the chart is being replaced under us
            value = None
        if value is not None and abs(value - expected) <= scenario.tolerance * max(1.0, abs(expected)):
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    return None


async def _check_page(page, scenario: Scenario, text: str, session: Session) -> None:
    """The session's own formula in its box, and no error on its page, once the page has settled (a rerun the last
    one queued, if any, has ended too: a box is only judged when it stays as it is)."""
    box = page.get_by_role("textbox", name=scenario.box, exact=True)
    for _ in range(SETTLE_TRIES):
        await page.wait_for_selector(IDLE, timeout=UPDATE_S * 1000)
        if await box.input_value() == text:
            break
        await asyncio.sleep(SETTLE_S)
    else:
        session.problems.append(f"formula box holds {await box.input_value()!r}, not its own {text!r}")
    for test_id in ("stException", "stAlertContentError"):
        if await page.get_by_test_id(test_id).count():
            message = await page.get_by_test_id(test_id).first.inner_text()
            session.problems.append(f"{test_id} on the page: {message[:200]}")


async def _typo(page, scenario: Scenario, text: str, shown: float, session: Session) -> float | None:
    """A formula that is no formula typed, as students do: seconds until its one-line message with the caret is on
    the page, the last chart still showing its number `shown` (None, and a problem, where either fails)."""
    box = page.get_by_role("textbox", name=scenario.box, exact=True)
    await box.fill(text)
    clock = time.monotonic()
    await box.press("Enter")
    message = page.get_by_test_id("stAlertContentError").filter(has_text="^")
    try:
        await message.first.wait_for(timeout=UPDATE_S * 1000)
    except Exception:
        session.problems.append(f"{text!r}: no message with a caret")
        return None
    waited = time.monotonic() - clock
    if await _until(page, scenario, shown, 1.0) is None:
        session.problems.append(f"{text!r}: the last chart ({shown:g}) was not kept")
        return None
    return waited


async def _click(page, scenario: Scenario, a: float, b: float, rng: random.Random, session: Session) -> float | None:
    """A click on the map near a point drawn at random, as a student picks one: seconds until the number it must
    bring (the scenario's Click, with the link formula's parameters a and b) is on the page (None, and a problem,
    where it never is)."""
    await page.locator(MAP).first.scroll_into_view_if_needed()  # a click lands where it is seen
    click = scenario.click
    assert click is not None  # only pages with a map are clicked
    xlo, xhi, ylo, yhi = click.area
    x, y, left, top = await page.evaluate(CLICK_TARGET, [rng.uniform(xlo, xhi), rng.uniform(ylo, yhi)])
    want = click.must(a, b, x, y)
    label = f"at ({x:g}, {y:g})"
    clock = time.monotonic()
    await page.mouse.click(left, top)
    while time.monotonic() - clock < UPDATE_S:
        try:
            got = await page.evaluate(click.reads, {"label": label, "x": x, "y": y})
        except Exception:  # the page is being redrawn under us
            got = None
        if got is not None and abs(got - want) <= scenario.tolerance * max(1.0, abs(want)):
            return time.monotonic() - clock
        await asyncio.sleep(0.05)
    session.problems.append(f"a click at ({x:g}, {y:g}) never showed {want:g}")
    return None


async def _where(page, scenario: Scenario, text: str, step: int) -> str:
    """Where a session stopped, for its problem's line: the update, the formula it last typed and what its box holds."""
    try:
        held = await page.get_by_role("textbox", name=scenario.box, exact=True).input_value(timeout=5_000)
    except Exception:  # the page itself is gone
        held = "(no box)"
    return f"update {step}, {text!r} typed, the box holding {held!r}"


async def run_session(browser, url: str, index: int, seconds: float, think: float = 0.0) -> Session:
    """Session `index` on its own link: then, until `seconds` have passed, a formula of its own, back to its link's
    and a step of a slider (or, every other time on a page with a map, a click on it), in turn, and every third
    formula a typo first; each answer checked. `think`: seconds between two actions, as a student reads the answer
    (uniformly from half to one and a half times it; 0: none)."""
    session = Session(index)
    pause = random.Random(index)
    scenario, typed, template, value, query = PAGES[index % len(PAGES)]
    # Its own parameters, no two sessions alike, and within the sliders' range (±DERIVLIB_MAX_PARAMETER, 10) for 36
    # sessions: a link's value beyond it is set to the nearest end, with a note, so the session's number would never
    # show (sessions 10 to 15 of every run at 16 failed so before 2026-12-05, a fault of this test, not the server).
    a, b = 1 + index / 4, 0.5 + index / 8
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    text, step = template, 0
    try:
        started = time.monotonic()
        watch_runs(page, session, started)
        await page.goto(url + scenario.link(template, p_a=a, p_b=b, **query), timeout=FIRST_DRAW_S * 1000)
        waited = await _until(page, scenario, value(a, b), FIRST_DRAW_S)
        if waited is None:
            session.problems.append(f"first draw: never showed {value(a, b):g}")
            return session
        session.first_draw = time.monotonic() - started
        await page.wait_for_selector(IDLE, timeout=UPDATE_S * 1000)
        await _check_page(page, scenario, template, session)
        deadline = time.monotonic() + seconds
        expected = value(a, b)
        while time.monotonic() < deadline and not session.problems:
            step += 1
            if think:
                await asyncio.sleep(pause.uniform(0.5, 1.5) * think)
            if step % 6 == 5:  # a typo first, its message timed as an update
                waited = await _typo(page, scenario, f"{a + step:g} x^^2", expected, session)
                if waited is None:
                    break
                session.latencies.append(waited)
            if step % 2:  # type a formula of its own, or every third time one of the page's examples
                c, d = a + step, b + 2 * step
                examples = EXAMPLES[scenario.path]
                text, expected = examples[(step // 6) % len(examples)] if step % 6 == 3 else typed(c, d)
                box = page.get_by_role("textbox", name=scenario.box, exact=True)
                await box.fill(text)
                clock = time.monotonic()
                await box.press("Enter")
            else:  # back to its link's formula, then one step of parameter a's slider, or every other time a click
                text = template
                box = page.get_by_role("textbox", name=scenario.box, exact=True)
                await box.fill(text)
                await box.press("Enter")
                await page.wait_for_selector(IDLE, timeout=UPDATE_S * 1000)
                sliders = [page.get_by_role("slider", name=f"Parameter {name}") for name in "ab"]
                await sliders[1].wait_for(timeout=UPDATE_S * 1000)
                a_now, b_now = [float(await slider.input_value()) for slider in sliders]
                if scenario.click is not None and step % 4 == 2:  # a click on the map, where the page has one
                    if await _until(page, scenario, value(a_now, b_now), UPDATE_S) is None:
                        session.problems.append(f"update {step}: {text!r} never showed {value(a_now, b_now):g}")
                        break
                    waited = await _click(page, scenario, a_now, b_now, pause, session)
                    if waited is None:
                        break
                    session.latencies.append(waited)
                    session.clicks += 1
                    expected = value(a_now, b_now)  # the chart's number stays
                    await page.wait_for_selector(IDLE, timeout=UPDATE_S * 1000)
                    await _check_page(page, scenario, text, session)
                    continue
                expected = value(round(a_now + SLIDER_STEP, 2), b_now)
                await sliders[0].focus()
                clock = time.monotonic()
                await page.keyboard.press("ArrowRight")
            waited = await _until(page, scenario, expected, UPDATE_S)
            if waited is None:
                session.problems.append(f"update {step}: {text!r} never showed {expected:g}")
                break
            session.latencies.append(time.monotonic() - clock)
            await page.wait_for_selector(IDLE, timeout=UPDATE_S * 1000)
            await _check_page(page, scenario, text, session)
    except Exception as error:  # a timeout or a closed page: the session failed, the others go on
        where = await _where(page, scenario, text, step)
        session.problems.append(f"{type(error).__name__}: {str(error).splitlines()[0][:200]} ({where})")
    finally:
        await context.close()
    return session


async def warm_up(browser, url: str) -> None:
    """Each page once, alone, before the sessions: the server's first run imports torch and the rest (seconds), which
    is start-up, not load."""
    context = await browser.new_context()
    page = await context.new_page()
    for scenario, _, template, value, query in PAGES:
        await page.goto(url + scenario.link(template, p_a=1, p_b=1, **query), timeout=FIRST_DRAW_S * 1000)
        await _until(page, scenario, value(1, 1), FIRST_DRAW_S)
        await page.wait_for_selector(IDLE, timeout=FIRST_DRAW_S * 1000)
    await context.close()


async def load(
    url: str, sessions: int, seconds: float, on_start: Callable[[], None] | None = None, think: float = 0.0
) -> tuple[list[Session], float]:
    """`sessions` sessions at once for `seconds` each (after their first draw), on a server warmed up by one visit to
    each page (then `on_start()`: where a measure of the load begins); returns them and the wall time from their
    start."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        await warm_up(browser, url)
        if on_start is not None:
            on_start()
        started = time.monotonic()
        done = await asyncio.gather(*(run_session(browser, url, i, seconds, think) for i in range(sessions)))
        wall = time.monotonic() - started
        await browser.close()
    return list(done), wall


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(
    sessions: list[Session],
    wall: float,
    memory: list[tuple[float, int]],
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> dict:
    """The load's numbers; `cpu`: the server's and the browsers' CPU seconds from the sessions' start to their end.
    An update is a first draw or a later change; the server's CPU per update is what sizes a replica."""
    latencies = [t for s in sessions for t in s.latencies]
    first = [s.first_draw for s in sessions if s.first_draw is not None]
    runs = [t for s in sessions for t in s.runs]
    answers = [s.first_answer for s in sessions if s.first_answer is not None]
    updates = len(latencies) + len(first)
    return {
        "server_cpu_per_update": cpu[0] / updates if updates else float("nan"),
        "compiler_cpu_per_update": cpu[2] / updates if updates else float("nan"),
        "browsers_cpu_share": cpu[1] / (cpu[0] + cpu[1]) if cpu[0] + cpu[1] else float("nan"),
        "sessions": len(sessions),
        "ok": sum(not s.problems for s in sessions),
        "updates": len(latencies),
        "clicks": sum(s.clicks for s in sessions),
        "updates_per_s": len(latencies) / wall if wall else float("nan"),
        "first_max": max(first, default=float("nan")),
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "first_answer_max": max(answers, default=float("nan")),
        "runs_p50": percentile(runs, 0.5),
        "runs_p95": percentile(runs, 0.95),
        "peak_mb": max((rss for _, rss in memory), default=0) / 1e6,
        "problems": [f"session {s.index}: {p}" for s in sessions for p in s.problems],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=60.0, help="of typing and sliding per session")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between a session's actions (a class: 10)")
    parser.add_argument(
        "--split",
        action="store_true",
        help="the server on the first CPU alone, the browsers on the others (students' browsers on their own machines)",
    )
    options = parser.parse_args()
    everything = os.sched_getaffinity(0)
    server_cpus = {min(everything)} if options.split else None
    if options.split:  # the browsers, started by this process, inherit its CPUs
        os.sched_setaffinity(0, everything - {min(everything)})
    print(
        "| sessions | all correct | first draw, slowest | updates (clicks) | updates/s | p50 | p95 | "
        "server: first run, slowest | server: whole runs p50, p95 | server CPU per update (the compiler's) | "
        "browsers' share of the CPU | "
        "peak RSS of the server |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        flush=True,
    )
    for count in options.sessions:
        process, url = serve(cpus=server_cpus)
        watch = MemoryWatch(process.pid)
        watch.start()
        marks: list[tuple[float, float, float]] = []
        mark = functools.partial(cpu_mark, marks, process.pid)
        try:
            sessions, wall = asyncio.run(load(url, count, options.seconds, on_start=mark, think=options.think))
            mark()
        finally:
            watch.stop()
            log = stop(process)
        cpu = tuple(end - start for start, end in zip(*marks, strict=True)) if len(marks) == 2 else (0.0, 0.0, 0.0)
        row = report(sessions, wall, watch.samples, cpu)
        print(
            f"| {count} | {row['ok']}/{count} | {row['first_max']:.1f} s | {row['updates']} ({row['clicks']}) | "
            f"{row['updates_per_s']:.2f} | {row['p50']:.2f} s | {row['p95']:.2f} s | {row['first_answer_max']:.1f} s | "
            f"{row['runs_p50']:.2f} s, {row['runs_p95']:.2f} s | "
            f"{row['server_cpu_per_update']:.2f} s ({row['compiler_cpu_per_update']:.2f} s) | "
            f"{row['browsers_cpu_share']:.0%} | {row['peak_mb']:,.0f} MB |",
            flush=True,
        )
        for problem in row["problems"]:
            print(f"    {problem}", flush=True)
        if "Traceback" in log:
            print("    the server's log has a traceback:\n" + log[-2000:], flush=True)


if __name__ == "__main__":
    main()
