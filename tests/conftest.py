"""The suite's shared setup: the browser tests' fixtures (below), and Hypothesis without its "explain" phase (after
a failure it re-runs the failing example under a line tracer, which for a sympy-backed property takes many minutes
and can push a CI run past its time; the failing example is still shrunk and printed)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_kit import CHROMIUM, CHROMIUM_ARGS, LAPTOP, ROOT, TIMEOUT_MS, missing, sync_playwright
from hypothesis import Phase, settings

settings.register_profile("derivlib", phases=[phase for phase in Phase if phase is not Phase.explain])
settings.load_profile("derivlib")


# ---------------------------------------------------------------------------------------------------------------------
# The browser tests' fixtures (browser_kit.py holds what they share). Module-scoped: each browser test module gets its
# own `streamlit run`, so the first address a server ever sees is that module's first link.


@pytest.fixture(scope="module")
def browser():
    if reason := missing():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser tests: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server():
    """The address of `streamlit run streamlit_app.py`, started on a free port and stopped with its process group."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none"]
    # Without the background compiler (test_app.py tests it): it would take a core from the page for minutes.
    environment = os.environ | {"DERIVLIB_FUSE": "0"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit run did not answer on {url} (exit status {process.poll()})")
            time.sleep(0.2)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the server and anything it started, by process group
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: the folder DERIVLIB_SCREENSHOTS names (kept, to be looked at), or else tmp_path."""
    folder = Path(os.environ.get("DERIVLIB_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def tab(browser):
    """A page on a laptop's screen (1366 × 768)."""
    context = browser.new_context(viewport=LAPTOP)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()
