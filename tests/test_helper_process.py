"""A helper process answers requests one at a time, and is started again when it has died or hangs.

The helper here is a tiny program of the tests' own: helper_process.serve, loaded from its file alone (no torch to
import, so it starts in a blink), answering a request (seconds, tag) by sleeping that long and naming the tag and its
own process id.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from derivlib import helper_process
from derivlib.helper_process import Helper

ANSWER = "lambda seconds, tag: (time.sleep(seconds) or {'tag': tag, 'pid': os.getpid()}, '')"
PROGRAM = f"import os, runpy, time; runpy.run_path({helper_process.__file__!r})['serve']({ANSWER})"
SILENCE = ({}, "the test's helper did not answer")


@pytest.fixture
def helper():
    helper = Helper(PROGRAM, name="the test's helper")
    yield helper
    helper.close()


def test_the_first_request_starts_the_helper_and_later_ones_reuse_it(helper):
    assert helper.process is None
    first, why = helper.ask((0, "a"), timeout=5)
    assert first == {"tag": "a", "pid": helper.process.pid} and why == ""
    assert helper.ask((0, "b"), timeout=5) == ({"tag": "b", "pid": first["pid"]}, "")


def test_a_helper_that_has_died_is_started_again(helper):
    first, _ = helper.ask((0, "a"), timeout=5)
    helper.process.popen.kill()
    helper.process.popen.wait()
    second, why = helper.ask((0, "b"), timeout=5)
    assert second["tag"] == "b" and second["pid"] != first["pid"] and why == ""


def test_a_helper_that_dies_during_a_request_gives_why_and_the_next_request_starts_a_new_one(helper):
    first, _ = helper.ask((0, "a"), timeout=5)
    assert helper.ask(("not a number of seconds", "b"), timeout=5) == SILENCE  # time.sleep raises: the loop ends
    assert helper.process is None
    second, _ = helper.ask((0, "c"), timeout=5)
    assert second["tag"] == "c" and second["pid"] != first["pid"]


def test_a_helper_that_does_not_answer_in_time_is_closed_and_the_next_request_starts_a_new_one(helper, monkeypatch):
    monkeypatch.setattr(helper_process, "REPLY_SLACK", 0.0)
    first, _ = helper.ask((0, "a"), timeout=5)
    stuck = helper.process
    start = time.monotonic()
    assert helper.ask((60, "slow"), timeout=0.2) == SILENCE
    assert time.monotonic() - start < 2.0
    assert helper.process is None and not stuck.alive()
    second, _ = helper.ask((0, "b"), timeout=5)
    assert second["tag"] == "b" and second["pid"] != first["pid"]


@pytest.mark.parametrize(
    "program",
    ["raise SystemExit(3)", "import time; time.sleep(60)"],
    ids=["ends at once", "never says it is ready"],
)
def test_a_helper_that_never_starts_gives_why_not_an_error(program, monkeypatch):
    monkeypatch.setattr(helper_process, "STARTUP_TIMEOUT", 0.5)
    helper = Helper(program, name="the test's helper")
    assert helper.ask((0, "a"), timeout=5) == SILENCE
    assert helper.process is None


def test_two_threads_asking_at_once_are_answered_one_at_a_time_by_one_process(helper):
    tags = ["a", "b", "c", "d"]
    start = time.monotonic()
    with ThreadPoolExecutor(len(tags)) as pool:
        answers = list(pool.map(lambda tag: helper.ask((0.2, tag), timeout=5), tags))
    assert [results["tag"] for results, _ in answers] == tags  # each thread gets its own answer
    assert len({results["pid"] for results, _ in answers}) == 1  # one process, though all came before it was ready
    assert time.monotonic() - start >= 0.2 * len(tags)  # in turn


def test_answers_are_unpickled_inside_the_receiving_context():
    entered = []

    @contextlib.contextmanager
    def noting():
        entered.append("receiving")
        yield

    helper = Helper(PROGRAM, receiving=noting)
    try:
        helper.ask((0, "a"), timeout=5)
        helper.ask((0, "b"), timeout=5)
    finally:
        helper.close()
    assert entered == ["receiving", "receiving"]  # once per answer (not for the helper's "ready")
