"""ExpressionError: one error type that knows the text it refused and points at the problem with a caret."""

import copy
import pickle

import pytest

from derivlib import ExpressionError
from derivlib.errors import CONTEXT


def caret_column(error: ExpressionError) -> int:
    """The column of the caret in the third line of str(error), counted in the excerpt line above it."""
    _, line, caret = str(error).split("\n")
    assert line.startswith("  ") and caret.startswith("  ")
    return caret.index("^") - 2


def shown_line(error: ExpressionError) -> str:
    return str(error).split("\n")[1][2:]


def test_is_a_value_error():
    """Callers that already catch ValueError for bad input catch formula mistakes too."""
    assert issubclass(ExpressionError, ValueError)
    with pytest.raises(ValueError, match="unknown function"):
        raise ExpressionError("unknown function or name 'sinn'", "sinn(x)", 0)


def test_keeps_message_source_and_position():
    error = ExpressionError("unexpected '='", "y = x", 2)
    assert (error.message, error.source, error.position) == ("unexpected '='", "y = x", 2)
    assert error.args == ("unexpected '='",)


def test_position_defaults_to_the_start():
    assert ExpressionError("empty formula", "").position == 0


@pytest.mark.parametrize(
    ("position", "clamped"),
    [(-5, 0), (-1, 0), (0, 0), (3, 3), (7, 7), (8, 7), (1000, 7)],
)
def test_position_is_clamped_into_the_source(position, clamped):
    """A position past either end still draws a caret on the text (len(source) means just after the last character)."""
    assert ExpressionError("m", "sinn(x)", position).position == clamped


def test_str_is_message_then_indented_text_then_caret():
    error = ExpressionError("unknown function or name 'sinn' — did you mean 'sin'?", "2 + sinn(x)", 4)
    assert str(error) == "unknown function or name 'sinn' — did you mean 'sin'?\n  2 + sinn(x)\n      ^"


@pytest.mark.parametrize("position", range(len("sin(x, x)") + 1))
def test_caret_sits_under_the_position(position):
    error = ExpressionError("m", "sin(x, x)", position)
    assert shown_line(error) == "sin(x, x)"
    assert caret_column(error) == position


def test_caret_at_the_end_points_just_past_the_text():
    error = ExpressionError("'+' needs something after it", "x +", 3)
    assert str(error) == "'+' needs something after it\n  x +\n     ^"


@pytest.mark.parametrize("source", ["", " ", "   ", "\t", "\n\r\n", "\u00a0\u2009\u202f"])
def test_blank_source_is_the_message_alone(source):
    """A caret under an empty line points at nothing, so it is left out."""
    error = ExpressionError("empty formula: type one, for example x^3 + sin(x)", source, 0)
    assert str(error) == "empty formula: type one, for example x^3 + sin(x)"
    assert error.position == 0


@pytest.mark.parametrize(("source", "excerpt"), [("", ("", 0)), ("   ", ("   ", 0)), ("\t\n", ("  ", 0))])
def test_blank_source_still_has_an_excerpt(source, excerpt):
    """Callers that draw their own caret (the app) get the same excerpt as before."""
    assert ExpressionError("empty formula", source, 0).excerpt() == excerpt


@pytest.mark.parametrize(("source", "position"), [("x", 1), ("  x", 2), (" ,", 0), ("\u200b", 0)])
def test_source_with_something_in_it_still_draws_a_caret(source, position):
    """The near misses of a blank source: one visible (or invisible but not blank) character brings the caret back."""
    error = ExpressionError("m", source, position)
    assert str(error).count("\n") == 2
    assert caret_column(error) == position


def test_long_source_is_cut_to_a_window_around_the_position():
    source = "a" * 100 + "X" + "b" * 100
    error = ExpressionError("m", source, 100)
    line = shown_line(error)
    assert line.startswith("…") and line.endswith("…")
    assert len(line) <= 2 * CONTEXT + 3
    assert line[caret_column(error)] == "X"


@pytest.mark.parametrize("position", [0, 1, CONTEXT - 1, CONTEXT, CONTEXT + 1, 100, 170, 198, 199])
def test_caret_stays_under_the_right_character_in_a_long_source(position):
    source = "".join(chr(ord("a") + i % 26) for i in range(200))
    error = ExpressionError("m", source, position)
    assert shown_line(error)[caret_column(error)] == source[position]


def test_window_at_the_start_has_no_leading_ellipsis():
    error = ExpressionError("m", "x" * 200, 3)
    assert not shown_line(error).startswith("…")
    assert shown_line(error).endswith("…")
    assert caret_column(error) == 3


def test_window_at_the_end_has_no_trailing_ellipsis():
    source = "x" * 200
    error = ExpressionError("m", source, len(source))
    assert shown_line(error).startswith("…")
    assert not shown_line(error).endswith("…")
    assert caret_column(error) == len(shown_line(error))


def test_short_source_is_shown_whole():
    source = "x" * CONTEXT
    assert shown_line(ExpressionError("m", source, CONTEXT // 2)) == source


@pytest.mark.parametrize("source", ["x\t+ @", "x +\n@", "x +\r\n@", "\t\t\t@", "sin(x)\n+\tcos(x)\n+\t@"])
def test_tabs_and_newlines_do_not_misalign_the_caret(source):
    """The excerpt stays on one line, so the caret's column is the character's column."""
    error = ExpressionError("unexpected character '@'", source, source.index("@"))
    assert str(error).count("\n") == 2
    assert shown_line(error)[caret_column(error)] == "@"


def test_tabs_and_newlines_in_a_long_source_do_not_misalign_the_caret():
    source = "x +\t" * 40 + "@" + "\n+ x" * 40
    error = ExpressionError("m", source, source.index("@"))
    assert str(error).count("\n") == 2
    assert shown_line(error)[caret_column(error)] == "@"


def test_pickles_with_all_three_fields():
    """Errors cross process boundaries (multiprocessing, caches) without losing where the problem is."""
    error = ExpressionError("sin takes one argument (got 2)", "sin(x, x)", 3)
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is ExpressionError
    assert (restored.message, restored.source, restored.position) == ("sin takes one argument (got 2)", "sin(x, x)", 3)
    assert str(restored) == str(error)


def test_pickles_with_the_clamped_position():
    restored = pickle.loads(pickle.dumps(ExpressionError("m", "x", 99)))
    assert restored.position == 1


def test_copies_with_all_three_fields():
    error = ExpressionError("m", "x + $", 4)
    duplicate = copy.deepcopy(error)
    assert (duplicate.message, duplicate.source, duplicate.position) == ("m", "x + $", 4)
