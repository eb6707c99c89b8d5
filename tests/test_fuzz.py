"""Fuzzing the parser (hypothesis): random Unicode text and random soups of the grammar's own tokens either parse or
raise ExpressionError pointing inside the text, quickly, and never raise anything else (tests/fuzz_core.py).

The suite's run is modest (200 examples per property, about 20 s). The long run:

    DERIVLIB_FUZZ_EXAMPLES=200000 taskset -c 1 python -m pytest -q tests/test_fuzz.py

and, where atheris installs, `python tests/fuzz_atheris.py -max_total_time=300` (coverage-guided).
"""

from __future__ import annotations

import os

import pytest
from fuzz_core import TOKENS, check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("DERIVLIB_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # the property's own TIME_BOUND is the bound, with the garbage collector paused
    suppress_health_check=[HealthCheck.too_slow],
    database=None if EXAMPLES > 1000 else settings.default.database,
)

soups = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
spaced_soups = st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join)


@FUZZ
@given(st.text(max_size=80))
def test_random_unicode_text(text):
    check(text)


@FUZZ
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=120))
def test_random_ascii_text(text):
    check(text)


@FUZZ
@given(soups)
def test_random_soups_of_the_grammars_tokens(text):
    check(text)


@FUZZ
@given(spaced_soups)
def test_random_soups_of_tokens_with_spaces(text):
    check(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join), st.integers(0, 2000))
def test_soups_beyond_the_length_limit(text, padding):
    check(text + "x+" * padding)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sin",
        "log_",
        "{",
        "|" * 600,
        "x" + "⁹" * 400,
        "½" * 500,
        "(" * 64 + "x" + ")" * 64,
        "atan2(" * 40 + "x" + ",x)" * 40,
    ],
)
def test_known_edges_hold_the_property(text):
    check(text)
