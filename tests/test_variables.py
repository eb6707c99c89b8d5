"""Which names of a formula to minimize are its variables (derivlib.variables): x, y, z and x1 … x10 where it uses
them, in that order; any other letter a parameter; never more than ten."""

from __future__ import annotations

import pytest

from derivlib import ExpressionError
from derivlib.variables import MAX_VARIABLES, choosable_names, inferred_variables, ordered


@pytest.mark.parametrize(
    ("text", "variables"),
    [
        ("x^2 + y^2 + z^2", ("x", "y", "z")),  # z is a variable, not a silent parameter
        ("z^2 + x", ("x", "z")),
        ("a x1^2 + b x2^2 + x10", ("x1", "x2", "x10")),  # x2 before x10; a and b are parameters
        ("sin(y)", ("y",)),
        ("k", ("x",)),  # no variable at all: a constant in x
        ("x + x1", ("x", "x1")),
    ],
)
def test_the_variables_are_inferred_from_the_names_used(text, variables):
    assert inferred_variables(text) == variables


def test_more_than_ten_variables_is_an_error_at_the_eleventh():
    text = " + ".join(["x", "y", "z", *(f"x{i}" for i in range(1, 9))])  # 11 names
    with pytest.raises(ExpressionError) as caught:
        inferred_variables(text)
    assert caught.value.message.startswith("11 variables") and f"at most {MAX_VARIABLES}" in caught.value.message
    assert text[caught.value.position :].startswith("x8")


def test_a_formula_that_is_no_formula_raises_parses_error():
    with pytest.raises(ExpressionError, match="needs something after it"):
        inferred_variables("x +* y")


def test_choosable_names_are_the_variables_and_parameters_in_order():
    assert choosable_names("a x^2 + b y + x3", ("x", "x3")) == ("x", "y", "x3", "a", "b")


def test_order_is_x_y_z_then_the_indexed_then_the_alphabet():
    assert ordered(["b", "x10", "x2", "z", "a", "y", "x"]) == ("x", "y", "z", "x2", "x10", "a", "b")
