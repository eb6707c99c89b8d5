"""Every page's timings, to the paint, in headless Chromium against `streamlit run`: `python tests/page_timing.py`.

Not a test (timings are measured and printed, never asserted). For each interaction of the table below it times,
several times, from the key press or click to the chart painted: the new chart's data in Plotly (`_fullData`), then
two animation frames, after which the browser has painted it. Beside each median it gives the server's CPU-seconds
for the interaction (its process tree, from /proc: the page's computation, the compiler worker, sympy's helper),
from the action to the page idle. It prints a Markdown table (docs/performance.md's), then each run.

`python tests/page_timing.py --only two,optimisation` times those parts alone (of first, one, two, optimisation).
`python tests/page_timing.py --downloads` times the whole grid's download instead, in each file format: from the
click to the file's request (the file built on the server) and to the browser's download event (the file
received), medians of three.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from urllib.parse import urlencode

from browser_kit import CHROMIUM, CHROMIUM_ARGS
from load import serve, stop, tree_cpu

POINTS = 1_000_000
REPEATS = 5
CHART = "document.querySelector('.stPlotlyChart .js-plotly-plot')"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
PAINTED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done())))"
COMPILED_WITHIN = 180  # seconds given to the background compiler for the slider's formula
GOALS = {  # interaction -> goal, seconds from the action to the chart painted
    "one variable, new formula, 10⁶ points": 1.0,
    "one variable, a parameter slider step (compiled program ready)": 0.4,
    "one variable, x₀ typed": 0.3,
    "one variable, Taylor order": 0.3,
    "one variable, overlay": 0.3,
    "one variable, remainder": 0.3,
    "two variables, new formula, 500²": 1.0,
    "two variables, a click on the map → the point's panel": 0.5,
    "optimisation, a new start for three methods on Rosenbrock": 1.0,
    "first visit, one variable (warm server)": 3.0,
    "first visit, two variables (warm server)": 3.0,
    "first visit, optimisation (warm server)": 3.0,
}


class Timer:
    """Times actions on a page to the paint, with the server's CPU-seconds for each."""

    def __init__(self, server_pid: int) -> None:
        self.pid = server_pid
        self.results: dict[str, list[tuple[float, float]]] = {}

    def measure(
        self,
        label: str,
        page,
        action: Callable[[int], None],
        arrived: Callable[[int], str],
        prepare: Callable[[int], None] | None = None,
    ) -> None:
        """REPEATS times: prepare(i) (typing into a box, untimed), then action(i) (the key press or click: the clock
        starts), then until the JavaScript expression arrived(i) is true (polled each animation frame), then two
        frames: painted."""
        for i in range(REPEATS):
            page.wait_for_selector(IDLE, timeout=180_000)
            time.sleep(1.0)
            if prepare is not None:
                prepare(i)
            cpu = tree_cpu(self.pid)
            started = time.perf_counter()
            action(i)
            page.wait_for_function(
                f"() => {{ try {{ return {arrived(i)}; }} catch (e) {{ return false; }} }}",
                polling="raf",
                timeout=180_000,
            )
            page.evaluate(PAINTED)
            painted = time.perf_counter() - started
            page.wait_for_selector(IDLE, timeout=180_000)
            time.sleep(0.3)
            self.record(label, painted, tree_cpu(self.pid) - cpu)

    def record(self, label: str, seconds: float, cpu: float) -> None:
        self.results.setdefault(label, []).append((seconds, cpu))
        print(f"{label}: painted {seconds:.2f} s after the action; server CPU {cpu:.2f} s", flush=True)

    def table(self) -> str:
        lines = ["| interaction | goal | median | runs | server CPU-s (median) | met |", "|---|---:|---:|---|---:|---|"]
        for label, goal in GOALS.items():
            runs = self.results.get(label)
            if not runs:
                continue
            median = statistics.median(seconds for seconds, _ in runs)
            cpu = statistics.median(cpu for _, cpu in runs)
            each = ", ".join(f"{seconds:.2f}" for seconds, _ in runs)
            met = "yes" if median <= goal else "**no**"
            lines.append(f"| {label} | ≤ {goal:g} s | {median:.2f} s | {each} | {cpu:.2f} | {met} |")
        return "\n".join(lines)


def type_into(page, label: str, text: str) -> None:
    box = page.get_by_role("textbox", name=label, exact=True)
    box.fill(text)
    box.press("Enter")


def number_into(page, label: str, value: float) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True)
    box.fill(f"{value:g}")
    box.press("Enter")


def typed(page, role: str, label: str, texts: Callable[[int], str]) -> dict:
    """measure()'s prepare and action for typing texts(i) into a box and pressing Enter: the clock starts at the
    key press, as a user's wait does."""
    box = page.get_by_role(role, name=label, exact=True)
    return {"prepare": lambda i: box.fill(texts(i)), "action": lambda i: box.press("Enter")}


def status_details(page) -> str:
    """The status line's details, as a user reads them: hovering its help icon."""
    status = page.locator('[data-testid="stCaptionContainer"]', has_text="computed in").first
    tip = page.locator('[data-testid="stTooltipContent"]').first
    for _ in range(5):  # a part drawn again under the pointer (the points of interest arriving) hides the tip: again
        page.locator("h1").first.hover()
        status.locator('[data-testid="stTooltipIcon"]').hover()
        try:
            tip.wait_for(timeout=3_000)
            break
        except Exception:  # Playwright's TimeoutError
            continue
    text = tip.inner_text()
    page.locator("h1").first.hover()  # away: the tooltip would cover the sliders
    tip.wait_for(state="detached", timeout=10_000)
    return text


def trace_value(expression: str) -> str:
    """JavaScript: the chart exists and `expression` (over its drawn traces `data`) holds."""
    return (
        f"(() => {{ const p = {CHART}; if (!p || !p._fullData) return false; const data = p._fullData; "
        f"return {expression}; }})()"
    )


def one_variable(page, url: str, timer: Timer) -> None:
    page.goto(f"{url}/?{urlencode({'points': POINTS})}")
    page.wait_for_function(trace_value("data.length > 0"), timeout=180_000)

    def f_max(expected: float) -> str:
        return trace_value(f"Math.abs(Math.max(...data[0].y.filter(Number.isFinite)) - {expected}) < 2e-2")

    formulas = [f"x^4 + sin(x) + {i + 1}" for i in range(REPEATS)]
    timer.measure(
        "one variable, new formula, 10⁶ points",
        page,
        arrived=lambda i: f_max(625 + 0.9589242746631385 + i + 1),  # at x = -5
        **typed(page, "textbox", "Formula f(x) =", lambda i: formulas[i]),
    )

    # A parameter slider once the formula's compiled program is ready (the status line's details say so).
    type_into(page, "Formula f(x) =", "a*x^3 + sin(x)")
    deadline = time.monotonic() + COMPILED_WITHIN
    while time.monotonic() < deadline:
        page.wait_for_selector(IDLE, timeout=180_000)
        if "compiled for this formula" in status_details(page):
            break
        slider = page.get_by_role("slider", name="Parameter a")
        slider.focus()
        page.keyboard.press("ArrowLeft")
        time.sleep(5)
    slider = page.get_by_role("slider", name="Parameter a")
    start = float(slider.input_value())

    def step(i: int) -> None:
        slider.focus()
        page.keyboard.press("ArrowRight")

    timer.measure(
        "one variable, a parameter slider step (compiled program ready)",
        page,
        step,
        lambda i: f_max(round(start + 0.01 * (i + 1), 2) * 125 + (-0.9589242746631385)),
    )

    x0s = [0.5 + 0.25 * i for i in range(REPEATS)]
    timer.measure(
        "one variable, x₀ typed",
        page,
        arrived=lambda i: trace_value(f"data.some(t => t.name === 'x₀' && Math.abs(t.x[0] - {x0s[i]}) < 1e-9)"),
        **typed(page, "spinbutton", "Tangent and Taylor at x₀ =", lambda i: f"{x0s[i]:g}"),
    )
    timer.measure(
        "one variable, Taylor order",
        page,
        arrived=lambda i: trace_value(
            "!data.some(t => t.name === 'Taylor T₂')" if i % 2 == 0 else "data.some(t => t.name === 'Taylor T₂')"
        ),
        **typed(page, "spinbutton", "Taylor order n", lambda i: "1" if i % 2 == 0 else "2"),
    )
    number_into(page, "Taylor order n", 2)

    toggled(
        timer,
        page,
        "one variable, overlay",
        "Overlay all orders on one panel",
        "data.filter(t => t.meta !== 'insight').every(t => t.yaxis === 'y')",
    )
    toggled(timer, page, "one variable, remainder", "Show the remainder", "data.some(t => t.name.startsWith('|f − T'))")


def toggled(timer: Timer, page, label: str, toggle: str, on: str) -> None:
    """Times a toggle switched on and off in turn: `on` (JavaScript over the drawn traces) holds when it is on.
    Leaves it off."""
    timer.measure(
        label,
        page,
        lambda i: page.get_by_text(toggle).click(),
        lambda i: trace_value(on if i % 2 == 0 else f"!({on})"),
    )
    if REPEATS % 2:
        page.get_by_text(toggle).click()


def two_variables(page, url: str, timer: Timer) -> None:
    page.goto(f"{url}/two_variables?points=500")
    page.wait_for_function(trace_value("data.length > 0"), timeout=180_000)
    formulas = [f"sin(x) cos(y) + {i + 1} x" for i in range(REPEATS)]
    first_row = "JSON.stringify(Array.from(data[0].z[0]).slice(0, 20))"
    seen: list[str] = []

    typing = typed(page, "textbox", "Formula f(x, y) =", lambda i: formulas[i])

    def before_typing(i: int) -> None:
        seen.append(page.evaluate(f"() => {{ const data = {CHART}._fullData; return {first_row}; }}"))
        typing["prepare"](i)

    timer.measure(
        "two variables, new formula, 500²",
        page,
        typing["action"],
        lambda i: trace_value(f"{first_row} !== {seen[-1]!r}"),
        prepare=before_typing,
    )

    targets = [(1.5, -0.5), (-2.0, 3.0), (2.5, -1.5), (-3.0, -2.0), (0.5, 2.0)]

    def click(i: int) -> None:
        x, y = targets[i % len(targets)]
        screen = page.evaluate(
            f"""([x, y]) => {{
                const plot = {CHART}, layout = plot._fullLayout, box = plot.getBoundingClientRect();
                return [box.left + layout.xaxis._offset + layout.xaxis.l2p(x),
                        box.top + layout.yaxis._offset + layout.yaxis.l2p(y)];
            }}""",
            [x, y],
        )
        page.mouse.click(*screen)

    def picked(i: int) -> str:
        x, y = targets[i % len(targets)]
        return (
            "Array.from(document.querySelectorAll('[data-testid=\"stTable\"] th'))"
            f".some(cell => cell.innerText.trim() === 'at ({x:g}, {y:g})')"
        )

    def in_view(i: int) -> None:  # untimed: a click outside the window is lost, and the map is taller than it
        page.evaluate(f"() => {CHART}.scrollIntoView({{block: 'center'}})")

    timer.measure("two variables, a click on the map → the point's panel", page, click, picked, prepare=in_view)


def optimisation(page, url: str, timer: Timer) -> None:
    page.goto(f"{url}/optimisation?{urlencode({'methods': 'newton,lbfgs,cg-pr'})}")
    page.wait_for_function(trace_value("data.length > 0"), timeout=180_000)
    starts = [-1.5 + 0.1 * i for i in range(REPEATS)]
    timer.measure(
        "optimisation, a new start for three methods on Rosenbrock",
        page,
        **typed(page, "spinbutton", "Start x₀ =", lambda i: f"{starts[i]:g}"),
        arrived=lambda i: trace_value(
            f"data.filter(t => ['Newton', 'L-BFGS', 'CG (Polak–Ribière+)'].includes(t.name))"
            f".filter(t => Math.abs(t.x[0] - {starts[i]}) < 1e-6).length === 3"  # paths go as float32
        ),
    )


def first_visits(browser, url: str, timer: Timer) -> None:
    for label, path in [("one variable", ""), ("two variables", "two_variables"), ("optimisation", "optimisation")]:
        for _ in range(3):
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            cpu = tree_cpu(timer.pid)
            started = time.perf_counter()
            page.goto(f"{url}/{path}")
            page.wait_for_function(trace_value("data.length > 0"), polling="raf", timeout=180_000)
            page.evaluate(PAINTED)
            painted = time.perf_counter() - started
            page.wait_for_selector(IDLE, timeout=180_000)
            timer.record(f"first visit, {label} (warm server)", painted, tree_cpu(timer.pid) - cpu)
            page.close()


def downloads(page, url: str) -> None:
    """Click → file for each format of the whole grid's download, at POINTS rows."""
    asked: list[float] = []
    page.on("request", lambda request: asked.append(time.perf_counter()) if "/media/" in request.url else None)
    times: dict[str, list[tuple[float, float, int]]] = {}
    for file_format in ["CSV", "CSV, compressed", "Parquet"] * 3:
        page.goto(f"{url}/?{urlencode({'points': POINTS, 'file_format': file_format})}")
        page.wait_for_function(trace_value("data.length > 0"), timeout=180_000)
        page.wait_for_selector(IDLE, timeout=180_000)
        time.sleep(1.5)
        asked.clear()
        started = time.perf_counter()
        with page.expect_download(timeout=180_000) as download:
            page.get_by_role("button", name="Download the whole grid").click()
        arrived = time.perf_counter() - started
        size = os.path.getsize(download.value.path())
        times.setdefault(file_format, []).append((asked[-1] - started, arrived, size))
    for file_format, runs in times.items():
        print(
            f"{file_format}: file asked for {statistics.median(run[0] for run in runs):.2f} s after the click, "
            f"received at {statistics.median(run[1] for run in runs):.2f} s, {runs[0][2] / 1e6:.1f} MB",
            flush=True,
        )


def main() -> None:
    from playwright.sync_api import sync_playwright  # here: pytest imports this file looking for doctests

    process, url = serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
            if "--downloads" in sys.argv[1:]:
                downloads(page, url)
                return
            timer = Timer(process.pid)
            for path in ("", "two_variables", "optimisation"):  # warm the server up: start-up is not what is timed
                page.goto(f"{url}/{path}")
                page.wait_for_function(trace_value("data.length > 0"), timeout=180_000)
                page.wait_for_selector(IDLE, timeout=180_000)
            parts = {
                "first": lambda: first_visits(browser, url, timer),
                "one": lambda: one_variable(page, url, timer),
                "two": lambda: two_variables(page, url, timer),
                "optimisation": lambda: optimisation(page, url, timer),
            }
            chosen = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else list(parts)
            for name in chosen:  # --only two,optimisation: those parts alone
                parts[name]()
            print()
            print(timer.table())
            browser.close()
    finally:
        stop(process)


if __name__ == "__main__":
    main()
