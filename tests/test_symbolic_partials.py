"""sympy's partial derivatives in a time-boxed child process, and the check of derivlib's numbers against them."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import sympy

from derivlib import symbolic_partials
from derivlib.symbolic_partials import cross_check_partials, partial_formulas, partial_noise_levels

X, Y, A = (sympy.Symbol(name, real=True) for name in "xya")
HUGE = "9^9^9^9"  # sympy would compute a power with hundreds of millions of digits, given the chance
MARGIN = 3.0  # seconds beyond a budget for the helper's fork and reply on a loaded machine


def formulas(text: str, order: int = 2) -> dict:
    return partial_formulas(text, ("x", "y"), order, timeout=20.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x^2 y + sin(y)", {"fx": 2 * X * Y, "fy": X**2 + sympy.cos(Y), "fxy": 2 * X, "fyy": -sympy.sin(Y)}),
        ("exp(x y)", {"fx": Y * sympy.exp(X * Y), "fxy": (X * Y + 1) * sympy.exp(X * Y)}),
        ("a x^2 - y^2", {"fx": 2 * A * X, "fxx": 2 * A, "fxy": 0, "fyy": -2}),
        ("sin(x)", {"fy": 0, "fxy": 0, "fyy": 0, "fxx": -sympy.sin(X)}),  # no y: its partials are 0
    ],
)
def test_the_partial_derivatives_are_sympys_closed_forms(text, expected):
    found = formulas(text)
    assert list(found) == ["f", "fx", "fy", "fxx", "fxy", "fyy"]
    for name, closed in expected.items():
        assert sympy.simplify(found[name].expr - closed) == 0, (name, found[name].expr)
        assert found[name].order == len(name) - 1 and not found[name].note


def test_the_mixed_partial_is_the_derivative_of_fx_in_y_and_comes_with_latex():
    found = formulas("x^3 y^2 + cos(x y)")
    assert sympy.simplify(found["fxy"].unsimplified - sympy.diff(found["fx"].unsimplified, Y)) == 0
    assert found["fxy"].latex and found["f"].latex == sympy.latex(found["f"].expr)


def test_three_variables_and_a_higher_order():
    found = partial_formulas("x y z", ("x", "y", "z"), 3, timeout=20.0)
    assert str(found["fxyz"].expr) == "1" and str(found["fxxx"].expr) == "0"


def test_differentiation_that_hangs_is_skipped_within_the_budget():
    # d/dx x^N = N*x^(N-1): sympy computes N - 1 with N = 9^9^9^9, which never ends.
    formulas("x")  # the helper is started, so the budget below is sympy's alone
    start = time.monotonic()
    found = partial_formulas(f"x^({HUGE}) + y", ("x", "y"), 2, timeout=0.5)
    assert time.monotonic() - start < 0.5 + MARGIN
    assert found["f"].expr is not None  # sent before the hang
    assert found["fx"].expr is None and found["fx"].note == "differentiation skipped: took longer than 0.5 s"


def test_a_slow_simplification_is_shown_unsimplified():
    formulas("x")
    found = partial_formulas(f"{HUGE} x y", ("x", "y"), 2, timeout=0.5)
    # fx = 9^9^9^9 y is sent; simplifying it (and differentiating it again, to fxy) never ends.
    assert found["fx"].note == "simplification skipped: took longer than 0.5 s"
    assert (
        found["fx"].expr
        is found["fx"].unsimplified
        == sympy.Pow(9, sympy.Pow(9, sympy.Pow(9, 9, evaluate=False), evaluate=False), evaluate=False)
        * sympy.Symbol("y", real=True)
    )
    assert found["fxy"].note == "differentiation skipped: took longer than 0.5 s"


def test_a_helper_that_fails_gives_notes_not_errors(monkeypatch):
    monkeypatch.setattr(symbolic_partials.HELPER, "process", None)  # the working helper is put back afterwards
    monkeypatch.setattr(symbolic_partials.HELPER, "command", "raise SystemExit(3)")
    found = partial_formulas("x y", ("x", "y"), 1)
    assert {f.note for f in found.values()} == {"differentiation skipped: sympy's helper process did not answer"}
    assert symbolic_partials.HELPER.process is None  # and the next call starts a new one


def test_the_check_agrees_on_a_grid_and_says_where_it_differs():
    x, y = np.meshgrid(np.linspace(-2, 2, 30), np.linspace(-1, 3, 30))
    points = {"x": x.ravel(), "y": y.ravel()}
    rosenbrock = "(1 - x)^2 + 100(y - x^2)^2"
    checked = cross_check_partials(rosenbrock, points, formulas=formulas(rosenbrock))
    assert checked["name"].tolist() == ["f", "fx", "fy", "fxx", "fxy", "fyy"]
    assert all(badge.startswith("agrees") for badge in checked["badge"]), checked["badge"].tolist()
    assert (checked["compared"] == 900).all()
    # Against the formulas of another function: the difference is found, and placed in both variables.
    wrong = cross_check_partials("x^2 y", points, formulas=formulas("x^2 y + 0.001 x"))
    assert wrong.set_index("name").loc["fx", "badge"].startswith("differs by 1e-03 at x = ")
    assert ", y = " in wrong.set_index("name").loc["fx", "badge"]


def test_rounding_noise_is_called_so():
    # f_xy of sin x + cos y is 0; derivlib's three Taylor passes leave ±1e-16 where sympy says 0 exactly.
    x, y = np.meshgrid(np.linspace(-3, 3, 40), np.linspace(-3, 3, 40))
    points = {"x": x.ravel(), "y": y.ravel()}
    levels = partial_noise_levels("sin(x) + cos(y)", points)
    assert levels["fxy"] < 1e-14 and levels["f"] < 1e-14
    checked = cross_check_partials("sin(x) + cos(y)", points, formulas=formulas("sin(x) + cos(y)")).set_index("name")
    assert checked.loc["fxy", "badge"] in ("agrees exactly",) or checked.loc["fxy", "badge"].startswith(
        "agrees up to rounding"
    )


def test_undefined_points_are_not_compared():
    checked = cross_check_partials("log(x y)", {"x": [1.0, -1.0], "y": [1.0, 1.0]}, formulas=formulas("log(x y)"))
    assert checked["compared"].tolist() == [1] * 6 and checked["skipped"].tolist() == [1] * 6
    assert not any(math.isnan(v) for v in checked["worst_x"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: partial_formulas("x y", timeout=0), "positive number of seconds"),
        (lambda: cross_check_partials("x y", {}), "points must map each variable"),
    ],
)
def test_bad_settings_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
