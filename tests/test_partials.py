"""derivlib.partials against sympy's partial derivatives of the same tree, and the settings it refuses."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy
import torch
from function_rows import ROWS
from hypothesis import given, reject, settings
from strategies import points, trees

import derivlib
from derivlib import partial_names, partials, surface_table
from derivlib.engine import METHODS
from derivlib.partials import multi_indices
from derivlib.tree import Binary, Call, Expression, to_sympy, walk

X, Y = sympy.symbols("x y", real=True)
DIGITS = 40
LARGEST = 1e8  # a subformula's |value| above which the point is not compared
RTOL = 1e-9  # relative to the largest partial derivative of the same order at the point (the terms' size)


def reference(expr: sympy.Expr, x: float, y: float) -> float | None:
    """expr at (x, y) with DIGITS digits, or None where it is not a finite real number."""
    if expr.has(sympy.zoo, sympy.oo, sympy.nan):  # acsc(0) is zoo, which lambdify cannot even print
        return None
    try:
        with mpmath.workdps(DIGITS):
            value = complex(sympy.lambdify((X, Y), expr, "mpmath")(mpmath.mpf(x), mpmath.mpf(y)))
    except (ArithmeticError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)) or abs(value.imag) > 1e-20 * (1 + abs(value)):
        return None
    return value.real


def sympy_partials(expr: sympy.Expr, order: int) -> dict[str, sympy.Expr]:
    found = {}
    for m in range(order + 1):
        for nx, ny in multi_indices(2, m):
            derivative = sympy.diff(expr, *([X] * nx), *([Y] * ny)) if m else expr
            found[partial_names(("x", "y"), order)[len(found)]] = derivative.replace(
                sympy.DiracDelta, lambda *args: sympy.S.Zero
            )
    return found


def smooth_at(tree, x: float, y: float) -> bool:
    """Every subformula real, finite and moderate at the point, no denominator 0 there (sympy reads x/(x + x) as 1/2
    even at x = 0, a hole), and every function smooth at its arguments there."""
    symbols = {"x": X, "y": Y}
    for node in walk(tree):
        value = reference(to_sympy(node, symbols).doit(), x, y)
        if value is None or abs(value) > LARGEST:
            return False
        if isinstance(node, Binary) and node.op == "/" and reference(to_sympy(node.right, symbols).doit(), x, y) == 0:
            return False
        if isinstance(node, Call):
            arguments = [reference(to_sympy(a, symbols).doit(), x, y) for a in node.arguments]
            if any(a is None for a in arguments) or not ROWS[node.function].smooth(*arguments):
                return False
    return True


# ---------------------------------------------------------------------------------------------------------------------
# Known values


@pytest.mark.parametrize("method", METHODS)
def test_himmelblau_gradient_and_hessian_in_closed_form(method):
    x, y = np.linspace(-5, 5, 9), np.linspace(-4, 4, 9)
    found = partials("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", {"x": x, "y": y}, method=method)
    a, b = x * x + y - 11, x + y * y - 7
    expected = {
        "f": a * a + b * b,
        "fx": 4 * x * a + 2 * b,
        "fy": 2 * a + 4 * y * b,
        "fxx": 12 * x * x + 4 * y - 42,
        "fxy": 4 * x + 4 * y,
        "fyy": 4 * x + 12 * y * y - 26,
    }
    assert list(found) == list(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(found[name].numpy(), values, rtol=1e-13, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("method", METHODS)
def test_third_order_partials_by_name(method):
    found = partials("x^3 y^2 + sin(x) cos(y)", {"x": [0.5], "y": [0.25]}, order=3, method=method)
    assert list(found) == ["f", "fx", "fy", "fxx", "fxy", "fyy", "fxxx", "fxxy", "fxyy", "fyyy"]
    x, y = 0.5, 0.25
    expected = {
        "fxxx": 6 * y**2 - math.cos(x) * math.cos(y),
        "fxxy": 12 * x * y + math.sin(x) * math.sin(y),
        "fxyy": 6 * x**2 - math.cos(x) * math.cos(y),
        "fyyy": math.sin(x) * math.sin(y),
    }
    for name, value in expected.items():
        assert float(found[name][0]) == pytest.approx(value, rel=1e-13), name


def test_one_variable_gives_the_same_numbers_as_derivatives():
    x = np.linspace(-2, 2, 11)
    found = partials("x^3 + sin(x)", {"x": x}, order=3)
    assert list(found) == ["f", "fx", "fxx", "fxxx"]
    rows = derivlib.derivatives("x^3 + sin(x)", x, order=3)
    for k, name in enumerate(found):
        torch.testing.assert_close(found[name], rows[k], rtol=1e-15, atol=1e-15)


def test_three_variables_and_multi_letter_names():
    found = partials("x1^2 x2 x3", {"x1": [1.0], "x2": [2.0], "x3": [3.0]}, order=2)
    assert found["f_x1_x2"].item() == pytest.approx(2 * 1 * 3) and found["f_x1_x1"].item() == pytest.approx(2 * 2 * 3)
    assert found["f_x2_x3"].item() == pytest.approx(1.0) and found["f_x3_x3"].item() == 0


# ---------------------------------------------------------------------------------------------------------------------
# The property: random formulas in x and y agree with sympy wherever they are smooth


@pytest.mark.parametrize("method", METHODS)
@settings(derandomize=True, deadline=None, max_examples=60)
@given(tree=trees(max_leaves=4, variables=("x", "y")), x=points(-3, 3), y=points(-3, 3))
def test_random_formulas_agree_with_sympy(method, tree, x, y):
    order = 3
    if not smooth_at(tree, x, y):
        reject()
    expected = {
        name: reference(e, x, y) for name, e in sympy_partials(to_sympy(tree, {"x": X, "y": Y}).doit(), order).items()
    }
    if any(value is None or abs(value) > LARGEST for value in expected.values()):
        reject()
    found = partials(Expression(tree), {"x": [x], "y": [y]}, order=order, method=method)
    for m in range(order + 1):
        names = partial_names(("x", "y"), m)[-(m + 1) :]  # this order's partials
        scale = max(1.0, *(abs(expected[name]) for name in names), abs(expected["f"]))
        for name in names:
            assert float(found[name][0]) == pytest.approx(expected[name], rel=RTOL, abs=RTOL * scale), (name, tree)


@pytest.mark.parametrize("method", METHODS)
@settings(derandomize=True, deadline=None, max_examples=40)
@given(tree=trees(max_leaves=4, variables=("x", "y")), x=points(-3, 3), y=points(-3, 3))
def test_mixed_partials_are_equal_and_undefined_where_f_is(method, tree, x, y):
    found = partials(Expression(tree), {"x": [x], "y": [y]}, order=3, method=method)
    assert found["fxy"].numpy().tobytes() == found["fxy"].numpy().tobytes()  # one number: computed once
    if math.isnan(float(found["f"][0])):
        assert all(math.isnan(float(v[0])) for v in found.values())


def test_mixed_partials_are_computed_once_so_equal_exactly():
    """f_xy is one number, whichever order the derivatives are taken in: both methods compute it once."""
    x, y = np.linspace(-2, 2, 101), np.linspace(-1, 1, 101)
    for method in METHODS:
        found = partials("exp(x y) sin(x + y^2)", {"x": x, "y": y}, order=2, method=method)
        assert "fyx" not in found and torch.isfinite(found["fxy"]).all()
    taylor = partials("exp(x y) sin(x + y^2)", {"x": x, "y": y}, order=2)["fxy"]
    autograd = partials("exp(x y) sin(x + y^2)", {"x": x, "y": y}, order=2, method="autograd")["fxy"]
    torch.testing.assert_close(taylor, autograd, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# Grids, chunks, dtypes, undefined points


def test_results_do_not_depend_on_the_chunk_size():
    x, y = np.linspace(-2, 2, 37), np.linspace(0.5, 3, 37)
    whole = partials("log(x^2 + y) * atan2(y, x)", {"x": x, "y": y}, order=2)
    for chunk in (1, 5, 36):
        parts = partials("log(x^2 + y) * atan2(y, x)", {"x": x, "y": y}, order=2, chunk_size=chunk)
        for name in whole:
            torch.testing.assert_close(parts[name], whole[name], rtol=1e-15, atol=1e-15, equal_nan=True)


def test_undefined_points_are_nan_in_every_partial_and_a_rule_that_divides_by_zero_falls_back_to_autograd():
    found = partials("sqrt(x) + log(y)", {"x": [-1.0, 0.0, 4.0], "y": [1.0, 1.0, -1.0]}, order=2)
    assert all(math.isnan(float(v[0])) for v in found.values())  # sqrt(-1)
    assert all(math.isnan(float(v[2])) for v in found.values())  # log(-1)
    assert float(found["f"][1]) == 0.0 and math.isinf(float(found["fx"][1]))  # sqrt at 0: the one-sided slope


def test_float32_and_the_progress_callback():
    seen = []
    found = partials(
        "x y",
        {"x": np.linspace(0, 1, 10), "y": np.ones(10)},
        dtype="float32",
        chunk_size=4,
        progress=lambda *a: seen.append(a),
    )
    assert found["fx"].dtype == torch.float32 and seen == [(4, 10), (8, 10), (10, 10)]


def test_surface_table_is_the_grid_with_x_varying_fastest():
    frame = surface_table("x^2 + 3 y", (0, 1, 3), (-1, 1, 2))
    assert list(frame.columns) == ["x", "y", "f", "fx", "fy", "fxx", "fxy", "fyy"]
    assert frame["x"].tolist() == [0.0, 0.5, 1.0] * 2 and frame["y"].tolist() == [-1.0] * 3 + [1.0] * 3
    np.testing.assert_allclose(frame["f"], frame["x"] ** 2 + 3 * frame["y"])
    assert (frame["fy"] == 3).all() and (frame["fxx"] == 2).all() and (frame["fxy"] == 0).all()
    assert derivlib.to_csv(frame).splitlines()[0] == "x,y,f,fx,fy,fxx,fxy,fyy"


# ---------------------------------------------------------------------------------------------------------------------
# Refusals


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: partials("x y", {}), "points must map each variable"),
        (lambda: partials("x y", {"x": [1.0, 2.0], "y": [1.0]}), "as many points as the others"),
        (lambda: partials(derivlib.parse("x y"), {"x": [1.0], "y": [1.0]}), "reads 'y' as a parameter"),
        (lambda: partials(derivlib.parse("x y", variables=("x", "y")), {"x": [1.0]}), "variable 'y' has no points"),
        (lambda: partials("x y", {"x": [1.0], "y": [1.0]}, order=-1), "order must be from 0"),
        (lambda: partials("x y", {"x": [1.0], "y": [1.0]}, method="magic"), "unknown method"),
        (lambda: partials("x y", {"x": [1.0], "y": [1.0]}, dtype="float16"), "unknown dtype"),
        (lambda: partials("a x y", {"x": [1.0], "y": [1.0]}), "parameter 'a' needs a value"),
        (lambda: surface_table("x y", (0, 1), (0, 1, 2)), "x must be (start, stop, number of points)"),
        (lambda: surface_table("x y", (1, 0, 3), (0, 1, 2)), "smaller to a larger"),
    ],
)
def test_bad_settings_are_value_errors(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_a_bad_formula_is_an_expression_error_with_its_position():
    with pytest.raises(derivlib.ExpressionError) as caught:
        partials("x y + sinn(x)", {"x": [1.0], "y": [1.0]})
    assert caught.value.position == 6


@pytest.mark.parametrize(
    ("text", "fx", "fy"), [("x + y", 1.0, 1.0), ("x y", 3.0, 2.0), ("x", 1.0, 0.0), ("7", 0.0, 0.0)]
)
def test_a_formula_in_fewer_variables_gets_every_partial(text, fx, fy):
    found = partials(text, {"x": [2.0], "y": [3.0]}, order=2)
    assert (float(found["fx"][0]), float(found["fy"][0])) == (fx, fy)
    assert float(found["fxx"][0]) == float(found["fyy"][0]) == 0
