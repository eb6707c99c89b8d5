"""The formulas of math.js's own derivative test suite, read by derivlib, differentiated, and checked against sympy.

math.js (josdejong/mathjs, test/unit-tests/function/algebra/derivative.test.js) is a widely used symbolic
differentiator; its test suite is a fair sample of the spellings people paste from code. These are its inputs in one
variable, x (its partial derivatives in x and y, its function assignments `f(x) = …` and the inputs it refuses
itself are left out). Each must parse, and derivlib's f′ must agree with the derivative of sympy's form of the same
tree (mpmath, 40 digits) at points where it is defined.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy

import derivlib

INPUTS = [
    *("1", "10000000", "2x", "sin(2x)", "x", "(1)", "(x)", "1 + 2", "-100^2 + 3*3/2 - 12", "-4x", "+4x"),
    *("5x + x + 2", "5x - x - 2", "2(x + x)", "(x + x)*2", "5x*3x", "7x / 2", "5 / (3x)", "(2x) / (3x + 2)"),
    *("0^(2^x + x^3 + 2)", "1^(2^x + x^3 + 2)", "10^(2x + 2)", "(x^x^x^x)^0", "(x+2)^1", "2x^2", "2x^-2"),
    *("(x^3 + x)^(5x + 2)", "-x", "1 - (-x)", "cbrt(6x)", "sqrt(6x)", "nthRoot(6x)", "nthRoot(6x, 3)"),
    *("nthRoot((6x), (2x))", "log((6*x))", "log10((6x))", "log((6x), 10)", "log((2x), (3x))", "log(x)"),
    *("cos(2x)", "tan(2x)", "sec(2x)", "csc(2x)", "cot((2x))", "asin((2x))", "acos((2x))", "atan((2x))"),
    *("asec((2x))", "acsc((2x))", "acot((2x))", "sinh(2x)", "cosh(2x)", "tanh(2x)", "sech(2x)", "csch(2x)"),
    *("coth(2x)", "asinh((2x))", "acosh((2x))", "atanh((2x))", "asech((2x))", "acsch((2x))", "acoth((2x))"),
    *("abs(2x)", "pow(0, 2^x + x^3 + 2)", "pow(1, 2^x + x^3 + 2)", "pow(10, 2x + 2)", "pow(x^x^x^x, 0)"),
    *("pow(x + 2, 1)", "2 * pow(x, 2)", "2 * pow(x, -2)", "pow(x^3 + x, 5x + 2)", "exp(2x)", "2x^3", "x^2", "1 + x"),
]
POINTS = [0.3, 0.45, 0.7, 1.3, 2.2]  # inside every input's domain (acosh(2x) needs x > 1/2: checked where defined)
X = sympy.Symbol("x", real=True)


def test_every_input_is_counted_once():
    assert len(INPUTS) == len(set(INPUTS))


def reference(expr: derivlib.Expression, point: float) -> complex:
    """f′ at the point from sympy's form of the tree, differentiated by mpmath at 40 digits (sympy's own diff of
    0^(2^x + x^3 + 2) carries a log(0) that is never multiplied out)."""
    function = sympy.lambdify(X, expr.to_sympy().doit(), "mpmath")
    with mpmath.workdps(40):
        return complex(mpmath.diff(function, mpmath.mpf(point)))


@pytest.mark.parametrize("text", INPUTS)
def test_each_input_parses_and_its_derivative_agrees_with_sympy(text):
    expr = derivlib.parse(text)
    x = np.array(POINTS)
    expected = [reference(expr, point) for point in POINTS]
    for method in ("taylor", "autograd"):
        computed = derivlib.derivatives(expr, x, order=1, method=method).numpy()
        compared = 0
        for point, f, d1, value in zip(POINTS, computed[0], computed[1], expected, strict=True):
            if not np.isfinite(f) or value.imag != 0:
                continue  # outside the input's domain (acosh(2x) at x < 1/2)
            assert d1 == pytest.approx(value.real, rel=1e-10, abs=1e-10), (text, method, point)
            compared += 1
        assert compared >= 2, (text, method)
