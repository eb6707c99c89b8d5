"""The Hessian at a point: its determinant, eigenvalues and verdict, none of them resting on a sign that rounding
could flip."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from derivlib import parse
from derivlib.hessian import hessian_at, verdict_at

X, Y = sympy.symbols("x y", real=True)


def test_sin_x_cos_y_at_1_1_is_singular_not_negative_definite():
    """All four entries are -sin 1 cos 1: det H = 0 and one eigenvalue is 0, which float64 gives as 2.8e-17 and
    -8.3e-17."""
    view = hessian_at("sin(x) cos(y)", 1.0, 1.0)
    a, b, d = view.entries
    assert a == pytest.approx(-math.sin(1) * math.cos(1)) and a == pytest.approx(b) == pytest.approx(d)
    assert view.determinant == 0.0 and view.eigenvalues[1] == 0.0
    assert view.eigenvalues[0] == pytest.approx(-2 * math.sin(1) * math.cos(1))
    assert view.verdict == "singular"
    assert view.words.startswith("H is singular") and "negative definite" not in view.words


@pytest.mark.parametrize(
    ("text", "point", "verdict"),
    [
        ("x^2 + 3y^2 + x y", (1.0, 2.0), "positive definite"),
        ("exp(-(x^2 + y^2))", (0.0, 0.0), "negative definite"),
        ("x^2 - y^2", (0.3, -0.7), "indefinite"),
        ("x^3 - 3x y^2", (0.0, 0.0), "zero"),  # the monkey saddle: H = 0
        ("x^2 + y^4", (0.0, 0.0), "singular"),
        ("(x - y)^2", (1.5, 1.5), "singular"),  # a valley of minima: flat along it
        ("cosh(x)^2 - sinh(x)^2 + y^2", (3.0, 0.5), "singular"),  # fxx is ±1e-11 of rounding at x = 3
        ("abs(x) + abs(y)", (0.0, 0.0), "undefined"),  # a corner: no second derivatives
        ("sqrt(x^2 + y^2)", (0.0, 0.0), "undefined"),  # a cone's tip
    ],
)
def test_each_verdict(text, point, verdict):
    assert hessian_at(text, *point).verdict == verdict


@pytest.mark.parametrize(
    "text",
    [
        "sin(x) cos(y) + x y / 3",
        "exp(x/2) cos(y) + y^2",
        "log(1 + x^2 + y^2) - x y",
        "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    ],
)
def test_determinant_and_eigenvalues_are_sympys_where_they_are_clear_of_zero(text):
    expr = parse(text, variables=("x", "y")).to_sympy()
    hessian = sympy.hessian(expr, (X, Y))
    rng = np.random.default_rng(7)
    for x0, y0 in rng.uniform(-2, 2, size=(6, 2)):
        exact = np.array(hessian.subs({X: x0, Y: y0}).evalf(30), dtype=float)
        view = hessian_at(text, float(x0), float(y0))
        expected = np.linalg.eigvalsh(exact)
        if np.min(np.abs(expected)) < 1e-6 * np.max(np.abs(expected)):
            continue
        np.testing.assert_allclose(view.eigenvalues, expected, rtol=1e-10, atol=1e-12)
        assert view.determinant == pytest.approx(np.linalg.det(exact), rel=1e-10, abs=1e-12)


def test_directional_derivatives_are_zero_where_rounding_is_all_there_is():
    view = hessian_at("sin(x) cos(y)", 1.0, 1.0)
    gradient, curvature = view.along((math.sqrt(0.5), -math.sqrt(0.5)))
    assert curvature == 0.0  # (fxx − 2fxy + fyy)/2 = 0 exactly
    assert gradient == pytest.approx(math.sqrt(0.5))  # (cos²1 + sin²1)/√2


# ---------------------------------------------------------------------------------------------------------------------
# Any number of variables: the verdict from the eigenvalues, each 0 within its rounding


@pytest.mark.parametrize(
    ("text", "point", "verdict"),
    [
        ("x^2 + 3y^2 + x y", (1.0, 2.0), "positive definite"),
        ("exp(-(x^2 + y^2))", (0.0, 0.0), "negative definite"),
        ("x^2 - y^2", (0.3, -0.7), "indefinite"),
        ("x^3 - 3x y^2", (0.0, 0.0), "zero"),
        ("x^2 + y^4", (0.0, 0.0), "singular"),
        ("(x - y)^2", (1.5, 1.5), "singular"),
        ("cosh(x)^2 - sinh(x)^2 + y^2", (3.0, 0.5), "singular"),
        ("sin(x) cos(y)", (1.0, 1.0), "singular"),
        ("abs(x) + abs(y)", (0.0, 0.0), "undefined"),
    ],
)
def test_in_two_variables_the_verdict_is_the_2_by_2_views(text, point, verdict):
    assert (
        verdict_at(text, dict(zip(("x", "y"), point, strict=True))).verdict
        == verdict
        == hessian_at(text, *point).verdict
    )


@pytest.mark.parametrize(
    ("text", "point", "verdict"),
    [
        ("x^2 + y^2 + z^2", {"x": 0.0, "y": 0.0, "z": 0.0}, "positive definite"),
        ("x^2 + y^2 - z^2", {"x": 0.0, "y": 0.0, "z": 0.0}, "indefinite"),
        ("-(x1^2 + x2^2 + x3^2 + x4^2)", {"x1": 1.0, "x2": 2.0, "x3": 3.0, "x4": 4.0}, "negative definite"),
        ("sin(x) cos(y) + z^2", {"x": 1.0, "y": 1.0, "z": 0.0}, "singular"),  # the (x, y) block's 0 eigenvalue
        ("(x - y)^2 + (y - z)^2", {"x": 1.0, "y": 1.0, "z": 1.0}, "singular"),  # minima all along x = y = z
    ],
)
def test_each_verdict_in_more_variables(text, point, verdict):
    said = verdict_at(text, point)
    assert said.verdict == verdict
    assert said.words.startswith("H is") and len(said.eigenvalues) == len(point)


def test_eigenvalues_in_three_variables_are_sympys():
    text = "100(y - x^2)^2 + (1 - x)^2 + 100(z - y^2)^2 + (1 - y)^2"
    names = ("x", "y", "z")
    expr = parse(text, variables=names).to_sympy()
    symbols = sorted(expr.free_symbols, key=lambda s: names.index(s.name))
    hessian = sympy.hessian(expr, symbols)
    for point in ((1.0, 1.0, 1.0), (-1.2, 1.0, -1.2), (0.3, -0.4, 0.5)):
        exact = np.array(hessian.subs(dict(zip(symbols, point, strict=True))).evalf(30), dtype=float)
        said = verdict_at(text, dict(zip(names, point, strict=True)))
        np.testing.assert_allclose(said.eigenvalues, np.linalg.eigvalsh(exact), rtol=1e-10)
        expected = "positive definite" if np.all(np.linalg.eigvalsh(exact) > 0) else "indefinite"
        assert said.verdict == expected
