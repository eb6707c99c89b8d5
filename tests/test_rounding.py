"""Rounding noise: each value's rounding error, estimated, and values within it shown as 0; true small values kept."""

from __future__ import annotations

import math

import numpy as np
import pytest

import derivlib
from derivlib.rounding import SAFETY, pointwise_errors, zero_everywhere, zeroed, zeroed_table

GRID = derivlib.grid(-5, 5, 100_000).numpy()[::7]  # 14,286 ugly floats, 0 not among them


@pytest.mark.parametrize(
    ("expr", "rows"),
    [
        ("sin(x)^2 + cos(x)^2", (1, 2)),  # 1: f′ and f″ are 0, computed as ±1e-16
        ("cosh(x)^2 - sinh(x)^2", (1, 2)),
        ("(x^2 - 1)/(x - 1)", (2,)),  # x + 1: f″ comes out 0 in float32 and ±4e-17 in float64
        ("(x^3 - x)/(x^2 - 1)", (2,)),
        ("x^2 - (x - 1)(x + 1)", (1, 2)),
        ("exp(x) exp(-x)", (1, 2)),
        ("log(exp(x)) - x", (0, 1, 2)),
    ],
)
def test_the_noise_of_an_identity_is_zero_up_to_rounding_everywhere(expr, rows):
    values, errors = pointwise_errors(expr, GRID, order=2)
    for k in rows:
        finite = np.isfinite(values[k])
        assert zero_everywhere(values[k][finite], errors[k][finite]), (expr, k)
        missed = np.count_nonzero(zeroed(values[k], errors[k])[finite])
        assert missed <= 0.002 * finite.sum(), (expr, k, missed)  # one in a thousand noise values may slip through


@pytest.mark.parametrize(
    ("expr", "x", "row"),
    [
        ("x^4", 1e-5, 2),  # 12x² = 1.2e-9: tiny, and exact
        ("x^10", 5e-4, 2),  # 3.5e-25
        ("exp(-x^2)", 5.0, 0),  # 1.4e-11
        ("exp(x)", -20.0, 2),  # 2e-9
        ("sin(x)", 3.14159, 0),  # 2.65e-6, a true value near π
        ("x - sin(x)", 1e-3, 0),  # 1.7e-10, which cancellation does not swamp here
        ("1e-300 x", 1.0, 1),
    ],
)
def test_a_true_small_value_is_not_taken_for_noise(expr, x, row):
    values, errors = pointwise_errors(expr, np.array([x]), order=2)
    assert values[row][0] != 0 and abs(values[row][0]) > SAFETY * errors[row][0], (values[row], errors[row])


def test_values_beside_a_jump_are_not_taken_for_noise():
    """floor at 1 is 1; x moved a few ulps to the left gives 0: a jump on one side, not noise on both."""
    values, errors = pointwise_errors("floor(x)", np.array([1.0, 2.0, -3.0]), order=0)
    assert zeroed(values, errors)[0].tolist() == [1.0, 2.0, -3.0]


def test_a_map_of_values_is_noise_or_not_as_a_whole():
    """is_noise takes a two-variable map (rows of y, columns of x) as well as a column."""
    from derivlib.rounding import is_noise

    noise = np.full((3, 4), 1e-17)
    noise[1, 2] = np.nan
    assert is_noise(noise, 1e-16) and not is_noise(np.ones((3, 4)), 1e-16)
    assert not is_noise(np.full((2, 2), np.nan), 1.0)


def test_tan_at_pi_is_zero_in_a_table_as_shown():
    frame = derivlib.table("tan(x)", [math.pi, -math.pi, 1.0], order=2)
    assert frame["f"].iloc[0] == pytest.approx(-1.2246e-16, rel=1e-3)  # the tangent of the float nearest π
    shown = zeroed_table(frame, "tan(x)")
    assert shown["f"].tolist()[:2] == [0.0, 0.0] and shown["d2"].tolist()[:2] == [0.0, 0.0]
    assert shown["f"].iloc[2] == math.tan(1.0) and shown["d1"].tolist()[:2] == [1.0, 1.0]


def test_several_variables_have_their_errors_too():
    points = {"x": np.array([1.0, 0.3]), "y": np.array([1.0, -2.0])}
    values, errors = pointwise_errors("sin(x) cos(y)", points, order=2)
    fxx, fxy, fyy = values[3:6, 0]  # all -sin 1 · cos 1: the Hessian is singular, its determinant noise
    assert fxx == pytest.approx(fxy) == pytest.approx(fyy)
    assert values.shape == errors.shape == (6, 2) and np.all(errors[3:6, 0] > 0)


def test_zero_everywhere_allows_a_few_estimates_that_came_out_low_but_not_a_true_value():
    noise = np.full(1000, 2e-16)
    low = np.where(np.arange(1000) < 3, 0.0, 1e-16)  # three estimates missed
    assert zero_everywhere(noise, low)
    true = noise.copy()
    true[:3] = 1e-9  # three values far beyond every estimate
    assert not zero_everywhere(true, low)
