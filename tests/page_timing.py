"""The page's timings at 10⁶ points, in headless Chromium against `streamlit run`: `python tests/page_timing.py`.

Not a test (timings are measured and printed, never asserted). For each change it prints when the chart's message
came from the server, when Plotly had redrawn the chart, the computation time the page's caption shows, and the
bytes received. The server runs as the README starts it, the background compiler on.

`python tests/page_timing.py --downloads` times the whole grid's download instead, in each file format: from the
click to the file's request (the file built on the server) and to the browser's download event (the file
received), medians of three.

`python tests/page_timing.py --two-variables` times the two-variable page at 500 × 500 points instead: from a new
formula typed to the contour map redrawn (its critical points included), and the bytes the browser received.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time

from load import serve, stop
from test_browser import CHROMIUM, CHROMIUM_ARGS

POINTS = 1_000_000
COMPILER_SECONDS = 60  # time given to the background compiler after a new formula
CHART = "document.querySelector('.stPlotlyChart .js-plotly-plot')"


def downloads(page, url: str) -> None:
    """Click → file for each format of the whole grid's download, at POINTS rows."""
    from urllib.parse import urlencode

    asked: list[float] = []
    page.on("request", lambda request: asked.append(time.perf_counter()) if "/media/" in request.url else None)
    times: dict[str, list[tuple[float, float, int]]] = {}
    for file_format in ["CSV", "CSV, compressed", "Parquet"] * 3:
        page.goto(f"{url}/?{urlencode({'points': POINTS, 'file_format': file_format})}")
        page.wait_for_function(f"() => {CHART} && {CHART}._fullData", timeout=180_000)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=180_000)
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


def two_variables(page, url: str, points: int = 500) -> None:
    """New formula → contour redrawn on the second page, at points × points; three formulas, each timed twice."""
    frames: list[tuple[float, int]] = []
    page.on(
        "websocket", lambda ws: ws.on("framereceived", lambda data: frames.append((time.perf_counter(), len(data))))
    )
    page.goto(f"{url}/two_variables?points={points}")
    page.wait_for_function(f"() => {CHART} && {CHART}._fullData", timeout=180_000)
    first_row = f"JSON.stringify(Array.from({CHART}._fullData[0].z[0]).slice(0, 50))"
    for text in ["sin(x) cos(y)", "(1 - x)^2 + 100(y - x^2)^2", "x^2 - y^2", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"] * 2:
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=180_000)
        time.sleep(1.5)
        before = page.evaluate(f"() => {first_row}")
        frames.clear()
        started = time.perf_counter()
        box = page.get_by_role("textbox", name="Formula f(x, y) =", exact=True)
        box.fill(text)
        box.press("Enter")
        page.wait_for_function(
            f"(before) => {CHART} && {CHART}._fullData && {first_row} !== before",
            arg=before,
            polling=10,
            timeout=180_000,
        )
        drawn = time.perf_counter() - started
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=180_000)
        idle = time.perf_counter() - started
        caption = page.locator("text=/computed in/").first.inner_text()
        computed = float(re.search(r"computed in ([0-9.e-]+) s", caption).group(1))
        print(
            f"{text} at {points}²: contour redrawn {drawn:.2f} s after Enter, page idle at {idle:.2f} s; computed in "
            f"{computed:.3f} s; {sum(size for _, size in frames) / 1e6:.3f} MB received",
            flush=True,
        )


def main() -> None:
    from playwright.sync_api import sync_playwright  # here: pytest imports this file looking for doctests

    process, url = serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
            if "--two-variables" in sys.argv[1:]:
                two_variables(page, url)
                browser.close()
                return
            if "--downloads" in sys.argv[1:]:
                downloads(page, url)
                browser.close()
                return
            frames: list[tuple[float, int]] = []
            page.on(
                "websocket",
                lambda ws: ws.on("framereceived", lambda data: frames.append((time.perf_counter(), len(data)))),
            )
            page.goto(f"{url}/?points={POINTS}")
            page.wait_for_function(f"() => {CHART} && {CHART}._fullData", timeout=180_000)

            def measure(label: str, action, drawn: str) -> None:
                page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=180_000)
                time.sleep(1.5)
                frames.clear()
                started = time.perf_counter()
                action()
                page.wait_for_function(
                    f"() => {{ const p = {CHART}; return p && p._fullData && ({drawn}); }}", polling=10, timeout=180_000
                )
                chart = time.perf_counter() - started
                largest = max(frames, key=lambda frame: frame[1], default=(started, 0))
                received = sum(size for _, size in frames)
                page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=180_000)
                caption = page.locator("text=/computed in/").first.inner_text()
                computed = float(re.search(r"computed in ([0-9.e-]+) s", caption).group(1))
                how = re.search(r"in float\d+, (in Taylor mode|by the compiled program)", caption).group(1)
                print(
                    f"{label}: chart redrawn {chart:.2f} s after the action; its message arrived at "
                    f"{largest[0] - started:.2f} s ({largest[1] / 1e6:.3f} MB of {received / 1e6:.3f} MB received); "
                    f"computed in {computed:.3f} s, {how}",
                    flush=True,
                )

            def type_formula(text: str):
                def act() -> None:
                    box = page.get_by_role("textbox", name="Formula f(x) =", exact=True)
                    box.fill(text)
                    box.press("Enter")

                return act

            def set_range_end(value: float):
                def act() -> None:
                    box = page.get_by_label("x to")
                    box.fill(str(value))
                    box.press("Enter")

                return act

            f_max = "Math.abs(Math.max(...p._fullData[0].y.filter(Number.isFinite)) - {}) < 1e-3"

            def overlay() -> None:
                page.get_by_text("Overlay all orders on one panel").click()

            one_panel = "p._fullData.every(t => t.yaxis === 'y')"
            time.sleep(COMPILER_SECONDS)  # the first formula's compilation, so that it takes no core from what follows
            measure("overlay on (nothing computed)", overlay, one_panel)
            measure("overlay off (nothing computed)", overlay, f"!({one_panel})")
            measure("new formula x^4 + sin(x)", type_formula("x^4 + sin(x)"), f_max.format(625 - (-0.9589242746631385)))
            time.sleep(COMPILER_SECONDS)
            measure("same formula, x to 4", set_range_end(4), "Math.abs(Math.max(...p._fullData[0].x) - 4) < 1e-6")
            browser.close()
    finally:
        stop(process)


if __name__ == "__main__":
    main()
