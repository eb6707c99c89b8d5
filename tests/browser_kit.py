"""What the browser tests share: where Chromium is and how it is launched, the screens, and helpers that read a
page as Plotly and Streamlit drew it. The fixtures built on them (browser, server, page, tab, shots) are in
conftest.py; `page_timing.py` and `load.py` launch the same Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the browser fixture says so: a skip outside CI, a failure in CI
    sync_playwright = None

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 30_000  # for one expected change on the page
FIRST_LOAD_MS = 120_000  # for the first page: the server's first run imports torch, seconds on a busy machine

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
MAP = ".stPlotlyChart .js-plotly-plot"  # the first chart of a page: the contour map on the two-variable pages


def missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if sync_playwright is None:
        return "the playwright package is not installed"
    return None


def wait_until_idle(page) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


def frames_received(page) -> list[bytes]:
    """Every websocket frame the page receives from now on, as bytes, in a list that grows as they come."""
    received: list[bytes] = []
    page.on(
        "websocket",
        lambda socket: socket.on(
            "framereceived", lambda frame: received.append(frame if isinstance(frame, bytes) else frame.encode())
        ),
    )
    return received


def snap(tab, shots: Path, name: str) -> None:
    """The page as it is, whole: its main block's height is the screenshot's (Streamlit scrolls inside it)."""
    size = tab.viewport_size
    height = tab.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    tab.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 12_000)})
    tab.wait_for_timeout(500)  # Plotly redraws the charts at the new size
    tab.screenshot(path=shots / f"{name}.png")
    tab.set_viewport_size(size)


# The click layer's point nearest [x, y] on the page's first map, and where it is on the screen (page pixels): a JS
# function of [x, y] (Playwright's evaluate), shared by the tests (sync) and the load test (async).
CLICK_TARGET = f"""([x, y]) => {{
    const plot = document.querySelector('{MAP}');
    const layer = plot._fullData.find(trace => trace.meta === 'click');
    let best = 0;
    for (let i = 0; i < layer.x.length; i++) {{
        const d = (layer.x[i] - x) ** 2 + (layer.y[i] - y) ** 2;
        if (d < (layer.x[best] - x) ** 2 + (layer.y[best] - y) ** 2) best = i;
    }}
    const layout = plot._fullLayout, box = plot.getBoundingClientRect();
    const xa = layout.xaxis, ya = layout.yaxis;
    return [layer.x[best], layer.y[best],
            box.left + xa._offset + xa.l2p(layer.x[best]), box.top + ya._offset + ya.l2p(layer.y[best])];
}}"""


def click_target(tab, x: float, y: float) -> tuple[float, float, float, float]:
    """The click layer's point nearest (x, y), and where it is on the screen (page pixels)."""
    return tuple(tab.evaluate(CLICK_TARGET, [x, y]))
