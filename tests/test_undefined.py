"""Why a formula is undefined where it is: each domain rule, the stretches of x, and the sentence on the page."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import derivlib
from derivlib.rounding import simplest_between
from derivlib.undefined import causes, note


def explain(text: str, start: float = -5, stop: float = 5, params=None, dtype="float64", step=1 / 256):
    """The causes on a grid of the given step, whose points (a power of 2 apart) include every integer exactly."""
    expr = derivlib.parse(text)
    x = np.arange(round(start / step), round(stop / step) + 1) * step
    f = derivlib.derivatives(expr, x, order=0, params=params, dtype=dtype)[0].numpy()
    return [str(cause) for cause in causes(expr, x, f, params)]


@pytest.mark.parametrize(
    ("text", "start", "stop", "expected"),
    [
        ("log(x)", -5, 5, ["log of a negative number for x < 0", "log of zero at x = 0"]),
        ("log10(x - 2)", 0, 5, ["log of a negative number for x < 2", "log of zero at x = 2"]),
        ("log2(-x)", -1, 1, ["log of a negative number for x > 0", "log of zero at x = 0"]),
        ("sqrt(1 - x^2)", -2, 2, ["square root of a negative number for x < -1 and x > 1"]),
        ("1/x", -1, 1, ["division by zero at x = 0"]),
        ("sin(x)/x", -1, 1, ["division by zero at x = 0"]),
        ("asin(x)", -2, 2, ["asin of a number outside [-1, 1] for x < -1 and x > 1"]),
        ("acos(x/3)", -6, 6, ["acos of a number outside [-1, 1] for x < -3 and x > 3"]),
        ("acosh(x)", -2, 2, ["acosh of a number below 1 for x < 1"]),
        (
            "atanh(x)",
            -2,
            2,
            ["atanh of a number outside [-1, 1] for x < -1 and x > 1", "atanh of ±1 at x = -1 and x = 1"],
        ),
        ("x^0.5", -1, 1, ["a negative number to a non-integer power for x < 0"]),
        ("x^(1/4)", -1, 1, ["a negative number to a non-integer power for x < 0"]),
        ("x^(2/3) + x^(-1/5)", -1, 1, ["zero to a negative power at x = 0"]),  # odd roots take negative numbers
        ("x^-2", -1, 1, ["zero to a negative power at x = 0"]),
        ("csc(x)", -1, 1, ["csc where sin is zero at x = 0"]),
        ("cot(x)", -1, 1, ["cot where sin is zero at x = 0"]),
        ("log(-1)", 0, 1, ["log of a negative number for every x in the range"]),
        ("sqrt(x - 1) + sqrt(3 - x)", 0, 4, ["square root of a negative number for x < 1 and x > 3"]),
        ("sqrt((x - 1)(x - 2))", 0, 3, ["square root of a negative number for 1 < x < 2"]),
        # piecewise definitions: where no branch applies; each branch checked only where it applies
        ("{x < -1: 1, x > 1: 2}", -3, 3, ["no branch of the piecewise definition applies for -1 < x < 1"]),
        ("{x > 0: log(x), sqrt(x)}", -2, 2, ["square root of a negative number for x < 0"]),
        ("{x < 2: log(x)}", 0, 4, ["no branch of the piecewise definition applies for x > 2", "log of zero at x = 0"]),
        ("{log(x) < 0: 1, 2}", -2, 2, ["log of a negative number for x < 0"]),  # log(0) = -inf < 0 holds
        (
            "{x < 0: 1, {x < 1: 1/(x - 0.5)}}",
            -1,
            2,
            [
                "no branch of the piecewise definition applies for x > 1",
                "division by zero at x = 0.5",
            ],
        ),
        ("|log(x)|", -1, 1, ["log of a negative number for x < 0", "log of zero at x = 0"]),
    ],
)
def test_each_domain_rule(text, start, stop, expected):
    assert explain(text, start, stop) == expected


@pytest.mark.parametrize("text", ["x^3 + sin(x)", "exp(-x^2/2)", "abs(x)", "sqrt(x^2 + 1)", "log(1 + x^2)", "x^2"])
def test_a_formula_defined_everywhere_has_no_cause(text):
    assert explain(text) == []


def test_the_innermost_cause_is_named():
    # For x < 0 the inner log breaks its domain; for 0 < x < 1 the outer log gets a negative number; at x = 0 the
    # inner log gets zero, and the outer log of -inf is not a second cause.
    assert explain("log(log(x))", -2, 3) == [
        "log of a negative number for x < 0 and 0 < x < 1",
        "log of zero at x = 0 and x = 1",
    ]


def test_parameters_are_used():
    assert explain("log(a*x)", -1, 1, params={"a": -2}) == [
        "log of a negative number for x > 0",
        "log of zero at x = 0",
    ]
    assert explain("sqrt(x - c)", 0, 10, params={"c": 2.5}) == ["square root of a negative number for x < 2.5"]


def test_overflow_is_named_in_the_precision_used():
    assert explain("exp(x)", 0, 1000) == ["a result too large for float64 for x > 709.782"]
    assert explain("exp(100x)", -1, 1, dtype="float32") == ["a result too large for float32 for x > 0.89"]


def test_many_stretches_are_counted_not_listed():
    (cause,) = [c for c in causes(*_grid("log(sin(x))", -20, 20, 4_001)) if "negative" in c.reason]
    assert cause.where.startswith("for x < -18.85, -15.7 < x < -12.57 and -9.43 < x < -6.28")
    assert cause.where.endswith("and 4 more stretches")


def _grid(text, start, stop, num):
    expr = derivlib.parse(text)
    x = np.linspace(start, stop, num)
    return expr, x, derivlib.derivatives(expr, x, order=0)[0].numpy()


def test_points_in_any_order_and_torch_tensors():
    expr = derivlib.parse("sqrt(x)")
    x = torch.tensor([3.0, -1.0, 0.0, -2.0, 1.0], dtype=torch.float64)
    found = causes(expr, x, torch.sqrt(x))
    assert [(str(cause), cause.count) for cause in found] == [("square root of a negative number for x < 0", 2)]


def test_the_note_on_the_page():
    expr, x, f = _grid("log(x)", -5, 5, 10_001)
    assert note(expr, x, f) == (
        "5,001 of 10,001 points are undefined: log of a negative number for x < 0 (5,000 points); "
        "log of zero at x = 0 (1 point)."
    )
    assert note(*_grid("1/x", -1, 1, 3)) == "1 of 3 points is undefined: division by zero at x = 0."
    assert note(*_grid("x^2", -1, 1, 3)) == ""


@pytest.mark.parametrize(
    ("low", "high", "simplest"),
    [(-0.01, 0.01, 0.0), (0.97, 1.02, 1.0), (-1.02, -0.97, -1.0), (3.1406, 3.1456, 3.141), (0.29, 0.31, 0.3)],
)
def test_a_boundary_is_named_by_the_simplest_number_between_two_grid_points(low, high, simplest):
    assert simplest_between(low, high) == simplest
