"""The parser's fuzz property and the grammar's own tokens, shared by tests/test_fuzz.py (hypothesis) and
tests/fuzz_atheris.py (atheris, coverage-guided).

The property: any text either parses, or raises derivlib.ExpressionError whose position lies within the text, in
well under a second; nothing else (no IndexError, RecursionError, OverflowError …) ever comes out.
"""

from __future__ import annotations

import gc
import sys
import time

from derivlib import ExpressionError, parse, parse_list
from derivlib.functions import ALIASES, FUNCTIONS
from derivlib.tree import CONSTANTS, GREEK_LETTERS

grammar = sys.modules["derivlib.parse"]  # derivlib.parse is the function; its module holds the grammar's tables

# CPU seconds of this thread for one input: the parser takes milliseconds. CPU time, not wall time: on a busy shared
# machine a wall clock also counts the seconds other processes held the core (a first long run here failed inputs
# that parse in 50 µs, at 0.8-1.9 s of wall time, while the load average was 7 on 2 cores).
TIME_BOUND = 0.5
VARIABLE_SETS = (("x",), ("x", "y"), ())

# Every token the tokenizer knows, taken from its own tables, plus near-misses that must be refused.
OPERATORS = [*"+-*/^(),|!{}:_<>", "**", "<=", ">=", "!="]
TOKENS = sorted(
    {
        *OPERATORS,
        *grammar.OPERATOR_SYNONYMS,
        *grammar.COMPARISON_SYNONYMS,
        *grammar.SUBSCRIPTS,
        *grammar.VULGAR_FRACTIONS,
        *grammar.SUPERSCRIPTS,
        *grammar.SUPERSCRIPT_SIGNS,
        *grammar.GREEK_SYMBOLS,
        *grammar.HINTS,
        *grammar.WHITESPACE,
        *grammar.SUGAR,
        "√",
        *FUNCTIONS,
        *ALIASES,
        *CONSTANTS,
        *GREEK_LETTERS,
        *grammar.VARIABLES,
        "y",
        "a",
        "b",
        "k",
        "log_",
        "0",
        "1",
        "2.5",
        ".5",
        "1e3",
        "1e-3",
        "1e999",
        "9" * 320,
        "=",
        "ᵢ",
        "ⁿ",
        "х",  # Cyrillic
        "\u200b",
        "\x00",
    }
)


def check(text: str) -> None:
    """The property, for parse and parse_list with each set of variables; AssertionError if it fails."""
    for function in (parse, parse_list):
        for variables in VARIABLE_SETS:
            collecting = gc.isenabled()
            gc.disable()  # a full collection of the test process's heap is not the parser's time
            began = time.thread_time()
            try:
                function(text, variables=variables)
            except ExpressionError as error:
                assert 0 <= error.position <= len(text), (text, error.position)
                assert error.source == text
                assert isinstance(error.message, str) and error.message
                str(error)  # the caret rendering never fails either
            finally:
                seconds = time.thread_time() - began
                if collecting:
                    gc.enable()
            assert seconds < TIME_BOUND, f"{function.__name__}({text!r}) took {seconds:.3f} s"
