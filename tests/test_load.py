"""A small version of tests/load.py: one browser session per page at once against one `streamlit run`, each on its own
share link, typing formulas, moving a slider and clicking the map (where its page has one) for a while. Every session
must see its own numbers (each has its own parameters), keep its own formula, and meet no error; the server's log has no
traceback and its memory stays bounded. Timings are load.py's to report (by hand), not asserted here.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from browser_kit import missing
from load import PAGES, MemoryWatch, load, serve, stop

pytestmark = pytest.mark.browser

SECONDS = 8  # of typing and sliding per session, after its first draw
PEAK_BYTES = 6e9  # the server's process tree, resident: far above what three sessions need (about 2 GB)


def test_three_sessions_at_once_each_see_their_own_values():
    if reason := missing():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the browser tests: {reason}")
        pytest.skip(reason)
    process, url = serve({"DERIVLIB_FUSE": "0"})  # the background compiler is test_fused's: here it would take a core
    watch = MemoryWatch(process.pid)
    watch.start()
    try:
        sessions, _ = asyncio.run(load(url, len(PAGES), SECONDS))
    finally:
        watch.stop()
        log = stop(process)
    problems = [f"session {s.index}: {p}" for s in sessions for p in s.problems]
    assert not problems, problems
    assert all(s.first_draw is not None and len(s.latencies) >= 1 for s in sessions)
    assert all(s.clicks >= 1 for s in sessions if PAGES[s.index % len(PAGES)][0].click), "a map was clicked"
    assert "Traceback" not in log, log[-3000:]
    assert max(rss for _, rss in watch.samples) < PEAK_BYTES
