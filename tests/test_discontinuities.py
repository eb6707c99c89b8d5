"""Discontinuities: one-sided limits, jumps between grid points, single undefined points, and where a chart breaks."""

from __future__ import annotations

import math

import numpy as np
import pytest

import derivlib
from derivlib.discontinuities import breaks, jumps, limits, undefined_points
from derivlib.rounding import pointwise_errors

SPACING = 5e-4


@pytest.mark.parametrize(
    ("expr", "at", "row", "left", "right"),
    [
        ("(x^2 - 1)/(x - 1)", 1.0, 0, 2.0, 2.0),  # a hole
        ("sin(x)/x", 0.0, 0, 1.0, 1.0),
        ("(1 - cos(x))/x^2", 0.0, 0, 0.5, 0.5),  # 0/0 where cancellation eats half the digits near 0
        ("x sin(1/x)", 0.0, 0, 0.0, 0.0),  # squeezed to 0, though its slope oscillates
        ("x/abs(x)", 0.0, 0, -1.0, 1.0),  # a jump
        ("floor(x)", 2.0, 0, 1.0, 2.0),
        ("1/x", 0.0, 0, -math.inf, math.inf),  # a pole
        ("log(abs(x))", 0.0, 0, -math.inf, -math.inf),
        ("exp(1/x)", 0.0, 0, 0.0, math.inf),
        ("sin(1/x)", 0.0, 0, math.nan, math.nan),  # no limit
        ("abs(x)", 0.0, 1, -1.0, 1.0),  # a corner's slopes
        ("x^(2/3)", 0.0, 1, -math.inf, math.inf),  # a cusp's
        ("x^(1/3)", 0.0, 1, math.inf, math.inf),  # a vertical tangent
    ],
)
def test_one_sided_limits(expr, at, row, left, right):
    got = limits(expr, np.array([at]), row, spacing=SPACING)
    np.testing.assert_array_equal([got[0][0], got[1][0]], [left, right])  # exactly: a limit is snapped, not 1.99999


def grid_and_rows(expr: str, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = derivlib.grid(-3 - SPACING, 3 + SPACING, 12_003).numpy()
    rows, errors = pointwise_errors(expr, x, order=order)
    return x, rows, errors


@pytest.mark.parametrize(
    ("expr", "row", "expected"),
    [
        ("floor(x)", 0, [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]),
        ("floor(x) + 100x", 0, [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]),  # a jump of 1 beside a slope of 100
        ("sign(x - 1/3)", 0, [1 / 3]),
        ("abs(x - 1)", 1, [1.0]),  # f′ jumps from -1 to 1
        ("max(x, 2x)", 1, [0.0]),
        ("x abs(x)", 2, [0.0]),  # f″ jumps from -2 to 2
        ("tanh(1e5 x)", 0, []),  # steep, but continuous: bisection shows it
        ("sin(x)", 0, []),
        ("tan(x)", 0, []),  # its poles are the pole search's
    ],
)
def test_jumps_between_grid_points_are_found_and_steep_curves_are_not(expr, row, expected):
    x, rows, errors = grid_and_rows(expr, row + 1)
    found, _ = jumps(derivlib.parse(expr), x, rows[row], rows[row + 1], errors[row], row, None, 4e-15, infinite=row > 0)
    np.testing.assert_allclose(found.at, expected, rtol=0, atol=1e-12)


def test_a_jump_has_its_two_sides():
    x, rows, errors = grid_and_rows("floor(x) + x/10", 1)
    found, _ = jumps(derivlib.parse("floor(x) + x/10"), x, rows[0], rows[1], errors[0], 0, None, 4e-15)
    at_one = np.argmin(np.abs(found.at - 1))
    assert found.left[at_one] == pytest.approx(0.1, abs=1e-12) and found.right[at_one] == pytest.approx(1.1, abs=1e-12)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("(x^2 - 1)/(x - 1)", [1.0]),  # the zero of a denominator, between grid points
        ("sin(x)/x", [0.0]),
        ("x log(x^2)", [0.0]),  # log is undefined at 0 (its record says so)
        ("(x - 1/3) cot(x - 1/3)", [1 / 3]),  # cot too, at 0 of its argument (where 0·∞ is undefined)
        ("x cot(x - 1/3)", [1 / 3]),  # … where this one has a pole: the limits tell which
        ("(x^2 + 1)/(x^2 + 1)", []),  # a denominator that is never 0
        ("1/x^2 x^2", [0.0]),  # a zero that touches without changing sign
        ("sqrt(x)", []),  # an edge of the domain, not a single point
    ],
)
def test_single_undefined_points_come_from_the_formula_where_the_grid_misses_them(expr, expected):
    x = derivlib.grid(-2.2, 2.3, 4_001).numpy()  # neither 0 nor 1 nor 1/3 on it
    f = derivlib.derivatives(expr, x, order=0).numpy()[0]
    found = undefined_points(derivlib.parse(expr), x, f, None, 4 * np.finfo(float).eps * 2.3)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-15)


def test_breaks_are_where_a_chart_must_not_join_its_points():
    expr = derivlib.parse("max(sin(x), cos(x)) + floor(x/2) + x abs(x)")
    x = derivlib.grid(-3, 3, 10_001).numpy()
    rows = derivlib.derivatives(expr, x, order=2).numpy()
    f, d1, d2 = breaks(expr, x, rows, None)
    np.testing.assert_allclose(f, [-2.0, 0.0, 2.0], rtol=0, atol=1e-9)  # floor(x/2) jumps
    kinks = [-3 * math.pi / 4, math.pi / 4]  # max(sin x, cos x) has corners there (its f″ is the same on both sides)
    np.testing.assert_allclose(np.setdiff1d(np.round(d1, 9), np.round(f, 9)), kinks, rtol=0, atol=1e-9)
    assert 0.0 in np.round(d2, 9)  # x|x|'s f″ jumps from -2 to 2


def whole_grid_steps(x, g, slope, errors):
    """The rule of `steps` written over the whole grid at once, as it reads (the specification of the chunked,
    prefiltered version the pages run)."""
    from derivlib.discontinuities import OUTLIER, RELATIVE, SAFETY, SIGNIFICANT, UNEXPLAINED, spread

    with np.errstate(invalid="ignore", over="ignore"):
        change = np.diff(g)
        finite = np.isfinite(g[:-1]) & np.isfinite(g[1:])
        if slope is None:
            unexplained = np.abs(change)
            neighbours = np.maximum(np.r_[np.inf, unexplained[:-1]], np.r_[unexplained[1:], np.inf])
            candidate = unexplained > OUTLIER * np.where(np.isfinite(neighbours), neighbours, 0.0)
        else:
            left, right = slope[:-1], slope[1:]
            mean = np.where(
                np.isfinite(left) & np.isfinite(right),
                (left + right) / 2,
                np.where(np.isfinite(left), left, np.where(np.isfinite(right), right, 0.0)),
            )
            unexplained = np.abs(change - np.diff(x) * mean)
            around = np.maximum(np.r_[0.0, unexplained[:-1]], np.r_[unexplained[1:], 0.0])
            around = np.where(np.isfinite(around), around, np.inf)
            candidate = (unexplained > UNEXPLAINED * np.abs(change)) | (unexplained > OUTLIER * around)
        floor = np.maximum(np.maximum(SIGNIFICANT * spread(g), SAFETY * np.minimum(errors[:-1], errors[1:])), 0)
        floor = np.maximum(floor, RELATIVE * np.maximum(np.abs(g[:-1]), np.abs(g[1:])))
        significant = np.minimum(np.abs(change), unexplained) > floor
    return np.flatnonzero(finite & candidate & significant)


@pytest.mark.parametrize("seed", range(20))
def test_steps_looked_at_in_chunks_are_the_whole_grids_steps(seed, monkeypatch):
    import derivlib.discontinuities as discontinuities

    monkeypatch.setattr(discontinuities, "CHUNK", 7)  # many chunk edges, and steps across them
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, 200))
    g = np.sin(x) + np.where(x > rng.uniform(-3, 3), rng.choice([0.0, 1.0, 1e-9]), 0.0)
    slope = np.cos(x)
    for array in (g, slope):  # undefined values and poles here and there
        array[rng.integers(0, 200, 4)] = rng.choice([np.nan, np.inf, -np.inf, 50.0], 4)
    errors = rng.choice([0.0, 1e-12, 1e-3], 200)
    for row_slope in (slope, None):
        expected = whole_grid_steps(x, g, row_slope, errors)
        np.testing.assert_array_equal(discontinuities.steps(x, g, row_slope, errors), expected)
