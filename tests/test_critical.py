"""Critical points of f(x, y) against an independent oracle: every solution of ∇f = 0 from sympy's resultant,
polished by mpmath to 30 digits and classified by the signs of the Hessian in that precision."""

from __future__ import annotations

import functools
import math
from collections import Counter

import mpmath
import numpy as np
import pytest
import sympy

import derivlib
from derivlib.critical import COLUMNS, KINDS, critical_points

PRECISION = 1e-10
X, Y = sympy.symbols("x y")
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
CAMEL = "(4 - 2.1x^2 + x^4/3) x^2 + x y + (-4 + 4y^2) y^2"
# The same functions typed again for sympy, so that the oracle shares nothing with derivlib's parser.
ORACLES = {
    HIMMELBLAU: (X**2 + Y - 11) ** 2 + (X + Y**2 - 7) ** 2,
    CAMEL: (4 - sympy.Rational(21, 10) * X**2 + X**4 / 3) * X**2 + X * Y + (-4 + 4 * Y**2) * Y**2,
}


@functools.cache
def reference(text: str, box: tuple[tuple[float, float], tuple[float, float]]) -> list[tuple[str, float, float]]:
    """Every real solution of fx = fy = 0 in the box, for a polynomial f: the real roots x of the resultant of fx and
    fy in y (a polynomial in x alone), the real roots y of fy(x, ·) at each, both polished together by Newton's method
    in mpmath at 30 digits and kept where ∇f vanishes there; the kind from the Hessian's determinant and fxx."""
    f = ORACLES[text]
    fx, fy = sympy.diff(f, X), sympy.diff(f, Y)
    gradient = sympy.lambdify((X, Y), [fx, fy], "mpmath")
    hessian = sympy.lambdify((X, Y), [sympy.diff(f, X, 2), sympy.diff(f, X, Y), sympy.diff(f, Y, 2)], "mpmath")
    found: list[tuple[str, mpmath.mpf, mpmath.mpf]] = []
    with mpmath.workdps(30):
        for root_x in sympy.Poly(sympy.resultant(fx, fy, Y), X).nroots(n=30, maxsteps=500):
            if abs(sympy.im(root_x)) > 1e-20:
                continue
            for root_y in sympy.Poly(fy.subs(X, sympy.re(root_x)), Y).nroots(n=30, maxsteps=500):
                if abs(sympy.im(root_y)) > 1e-20:
                    continue
                start = (mpmath.mpf(str(sympy.re(root_x))), mpmath.mpf(str(sympy.re(root_y))))
                px, py = mpmath.findroot(lambda a, b: gradient(a, b), start)
                if max(abs(v) for v in gradient(px, py)) > mpmath.mpf(10) ** -25:
                    continue  # a real x whose y solves fy alone
                inside = box[0][0] <= px <= box[0][1] and box[1][0] <= py <= box[1][1]
                if not inside or any(abs(px - qx) + abs(py - qy) < 1e-20 for _, qx, qy in found):
                    continue
                a, b, d = hessian(px, py)
                det = a * d - b * b
                kind = "saddle" if det < 0 else ("minimum" if a > 0 else "maximum") if det > 0 else "degenerate"
                found.append((kind, px, py))
    return sorted((kind, float(px), float(py)) for kind, px, py in found)


def assert_same_points(frame, expected: list[tuple[str, float, float]]) -> None:
    """One row per expected point, of its kind, within PRECISION in x and y; nothing else."""
    assert len(frame) == len(expected), f"found\n{frame}\nexpected {expected}"
    rows = sorted(zip(frame["kind"], frame["x"], frame["y"], strict=True), key=lambda row: (row[1], row[2]))
    for (kind, x, y), (want_kind, want_x, want_y) in zip(rows, sorted(expected, key=lambda p: p[1:]), strict=True):
        assert kind == want_kind, f"({x}, {y}) is a {kind}, the oracle says {want_kind}"
        assert abs(x - want_x) <= PRECISION and abs(y - want_y) <= PRECISION, f"({x}, {y}) vs ({want_x}, {want_y})"


def test_the_frame_has_the_documented_columns_sorted_by_x_then_y():
    frame = critical_points(HIMMELBLAU, (-5, 5), (-5, 5))
    assert list(frame.columns) == COLUMNS
    assert set(frame["kind"]) <= set(KINDS)
    assert list(zip(frame["x"], frame["y"], strict=True)) == sorted(zip(frame["x"], frame["y"], strict=True))
    assert np.all(np.abs(frame[["fx", "fy"]].to_numpy()) < 1e-12)
    # f and the partials are those at the point, as `partials` computes them.
    again = derivlib.partials(HIMMELBLAU, {"x": frame["x"].to_numpy(), "y": frame["y"].to_numpy()})
    for name, values in again.items():
        np.testing.assert_allclose(frame[name].to_numpy(), values.numpy(), rtol=1e-15, atol=1e-12)  # 0 up to rounding
    assert frame.attrs["notes"] == []


def test_himmelblau_has_four_minima_a_maximum_and_four_saddles():
    expected = reference(HIMMELBLAU, ((-5, 5), (-5, 5)))
    assert Counter(kind for kind, _, _ in expected) == {"minimum": 4, "maximum": 1, "saddle": 4}
    frame = critical_points(HIMMELBLAU, (-5, 5), (-5, 5))
    assert_same_points(frame, expected)
    # The minimum at (3, 2) is exact: found within rounding of it, and ∇f is exactly 0 there.
    assert ((frame["x"] == 3.0) & (frame["y"] == 2.0) & (frame["kind"] == "minimum")).sum() == 1
    maximum = frame[frame["kind"] == "maximum"].iloc[0]
    assert (round(maximum["x"], 6), round(maximum["y"], 6)) == (-0.270845, -0.923039)


def test_the_six_hump_camel_has_fifteen_critical_points():
    expected = reference(CAMEL, ((-3, 3), (-2, 2)))
    assert Counter(kind for kind, _, _ in expected) == {"minimum": 6, "maximum": 2, "saddle": 7}
    frame = critical_points(CAMEL, (-3, 3), (-2, 2))
    assert_same_points(frame, expected)
    assert frame.attrs["notes"] == []


def test_only_the_points_in_the_box_are_listed():
    expected = reference(HIMMELBLAU, ((0, 5), (0, 5)))
    assert len(expected) == 3  # (3, 2) and two saddles
    assert_same_points(critical_points(HIMMELBLAU, (0, 5), (0, 5)), expected)


def test_a_coarse_grid_finds_the_same_points():
    expected = reference(HIMMELBLAU, ((-5, 5), (-5, 5)))
    assert_same_points(critical_points(HIMMELBLAU, (-5, 5), (-5, 5), points=11), expected)


@pytest.mark.parametrize(
    ("text", "kind", "at"),
    [
        ("(x + 2y - 7)^2 + (2x + y - 5)^2", "minimum", (1.0, 3.0)),  # Booth's function
        ("x^2 + y^2", "minimum", (0.0, 0.0)),
        ("-(x - 1/2)^2 - 3(y + 1/4)^2", "maximum", (0.5, -0.25)),
        ("x^2 - y^2", "saddle", (0.0, 0.0)),
        ("x y", "saddle", (0.0, 0.0)),
        ("x^4 + y^4", "degenerate", (0.0, 0.0)),
        ("x^4 + y^2", "degenerate", (0.0, 0.0)),  # the Newton step in x is x/3: converges slowly, snaps to 0
        ("x^3 - 3 x y^2", "degenerate", (0.0, 0.0)),  # the monkey saddle
    ],
)
def test_a_single_critical_point_at_exactly_a_simple_number(text, kind, at):
    frame = critical_points(text, (-2, 2), (-2, 3))
    assert frame[["kind", "x", "y"]].values.tolist() == [[kind, *at]]
    assert (frame["fx"] == 0).all() and (frame["fy"] == 0).all()  # snapped where ∇f is exactly 0
    assert frame.attrs["notes"] == []


def test_one_coordinate_snaps_to_a_simple_number_where_the_other_cannot():
    # The minimum is at (0, π): ∇f is not exactly 0 at float π, but x is exactly 0 (fx = 0 there, fy no larger).
    frame = critical_points("x^2 + cos(y) + 0.1 sin(x)^2", (-1, 1.3), (2, 4))  # x = 0 is not on the grid
    assert frame["kind"].tolist() == ["minimum"] and frame["x"].tolist() == [0.0]
    assert abs(frame["y"].iloc[0] - math.pi) < 1e-15


def test_a_critical_point_on_the_boxs_edge_or_corner_is_found():
    assert critical_points("x^2 + y^2", (0, 1), (0, 1))[["x", "y"]].values.tolist() == [[0.0, 0.0]]
    assert critical_points("(x - 1)^2 + y^2", (-1, 1), (-1, 1))[["x", "y"]].values.tolist() == [[1.0, 0.0]]


def test_a_degenerate_point_at_an_irrational_place():
    frame = critical_points("(x - sqrt(2))^4 + y^2", (-2, 2), (-1, 1))
    assert frame["kind"].tolist() == ["degenerate"]
    assert abs(frame["x"].iloc[0] - math.sqrt(2)) < PRECISION and frame["y"].iloc[0] == 0.0


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("(x - y)^2", []),  # every point of the diagonal: fx and fy change sign across it
        ("x^2 y^2", []),  # both axes, where neither fx nor fy changes sign: found by probing around the origin
        ("(x - 2y)^2 (x + y)^2", []),  # two lines through the origin, neither along the grid
        ("(x^2 + y^2 - 1)^2", [["maximum", 0.0, 0.0]]),  # the unit circle, and a maximum inside it
        ("y^2 + sin(x)^2 + cos(x)^2", []),  # the x-axis; fx is rounding noise
    ],
)
def test_lines_and_curves_of_critical_points_are_a_note_not_rows(text, rows):
    frame = critical_points(text, (-2, 2), (-2, 2))
    assert frame[["kind", "x", "y"]].values.tolist() == rows
    assert len(frame.attrs["notes"]) == 1
    assert "along lines, curves or regions, not at isolated points" in frame.attrs["notes"][0]


def test_the_note_on_a_line_says_where_it_is():
    (note,) = critical_points("(x - y)^2", (-5, 5), (-5, 5)).attrs["notes"]
    assert "in [-5, 5] × [-5, 5], such as (0, 0) and" in note


@pytest.mark.parametrize("text", ["x + y", "exp(x) + y", "x^3 + x + y^2", "log(x y)"])
def test_no_critical_point_is_an_empty_frame(text):
    frame = critical_points(text, (-2, 2), (-2, 2))
    assert frame.empty and list(frame.columns) == COLUMNS
    assert frame.attrs["notes"] == ["no critical point in this box"]


def test_a_gradient_that_is_rounding_noise_everywhere():
    frame = critical_points("sin(x)^2 + cos(x)^2 + sin(y)^2 + cos(y)^2", (-2, 2), (-2, 2))
    assert frame.empty
    assert frame.attrs["notes"] == [
        "∇f is 0 everywhere in this box (up to rounding): every point is critical, none listed"
    ]


def test_a_pole_is_no_critical_point():
    frame = critical_points("1/(x^2 + y^2)", (-2, 2), (-2, 2))
    assert frame.empty
    (note,) = frame.attrs["notes"]
    assert note.startswith("∇f changes sign without passing through 0 (a kink or a pole) near (0.")


@pytest.mark.parametrize(
    ("text", "kind", "at"),
    [
        ("abs(x) + abs(y)", "minimum", [0.0, 0.0]),  # a corner
        ("abs(x) + y^2", "minimum", [0.0, 0.0]),  # on a crease
        ("sqrt(x^2 + y^2)", "minimum", [0.0, 0.0]),  # a cone's tip
        ("max(abs(x), abs(y))", "minimum", [0.0, 0.0]),  # creases along the diagonals
        ("abs(x - y) + abs(x + y)", "minimum", [0.0, 0.0]),
        ("1 - abs(x - 1) - abs(y + 0.5)", "maximum", [1.0, -0.5]),
        ("abs(x) - abs(y)", "saddle", [0.0, 0.0]),  # higher along x, lower along y
    ],
)
def test_a_corner_crease_or_cone_where_the_gradient_is_undefined_is_listed_by_what_f_does_around_it(text, kind, at):
    frame = critical_points(text, (-2, 2), (-2, 2.5))
    assert frame[["kind", "x", "y"]].values.tolist() == [[kind, *at]]
    assert not frame["smooth"].any() and frame[["fx", "fy", "fxx", "fxy", "fyy"]].isna().all(axis=None)
    # The creases of max(|x|, |y|) along the diagonals are kinks where f still falls towards 0: noted, not listed.
    assert all("no critical point there" in note for note in frame.attrs["notes"])


def test_a_crease_along_which_f_is_flat_is_a_line_of_critical_points_none_listed():
    frame = critical_points("abs(x)", (-2, 2), (-2, 2))
    assert frame.empty
    notes = " ".join(frame.attrs["notes"])
    assert "crease" in notes and "no critical point there" not in notes


def test_a_grid_too_coarse_for_the_function_says_so():
    # sin(5x) sin(5y) has 1024 extrema and 961 saddles in the box; 31 points per axis are 2 per period.
    coarse = critical_points("sin(5x) sin(5y)", (-10, 10), (-10, 10), points=31)
    assert len(coarse) < 1985
    assert any("may be too coarse" in note for note in coarse.attrs["notes"])
    fine = critical_points("sin(5x) sin(5y)", (-10, 10), (-10, 10))
    assert Counter(fine["kind"]) == {"minimum": 512, "maximum": 512, "saddle": 961}
    assert fine.attrs["notes"] == []
    extrema = fine[fine["kind"] != "saddle"]
    np.testing.assert_allclose(np.abs(extrema["f"]), 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("params", "kind"),
    [({"a": 1, "b": 2}, "minimum"), ({"a": -1, "b": -0.5}, "maximum"), ({"a": 3, "b": -1}, "saddle")],
)
def test_parameters(params, kind):
    frame = critical_points("a x^2 + b y^2", (-1, 1), (-1, 1), params=params)
    assert frame[["kind", "x", "y"]].values.tolist() == [[kind, 0.0, 0.0]]


def test_a_parameter_without_a_value_is_refused():
    with pytest.raises(ValueError, match="parameter 'b' needs a value"):
        critical_points("a x^2 + b y^2", (-1, 1), (-1, 1), params={"a": 1})


def test_an_expression_is_read_with_x_and_y_as_variables():
    parsed = derivlib.parse(HIMMELBLAU, variables=("x", "y"))
    assert critical_points(parsed, (-5, 5), (-5, 5)).equals(critical_points(HIMMELBLAU, (-5, 5), (-5, 5)))
    with pytest.raises(ValueError, match="reads 'y' as a parameter"):
        critical_points(derivlib.parse("x^2 + y^2"), (-1, 1), (-1, 1))


@pytest.mark.parametrize(
    ("x", "y", "points", "message"),
    [
        ((1, 1), (0, 1), None, r"the box is empty: xmin must be less than xmax, not 1 … 1"),
        ((0, 1), (2, -2), None, r"the box is empty: ymin must be less than ymax, not 2 … -2"),
        ((0, math.nan), (0, 1), None, r"xmax must be a finite number, not nan"),
        ((0, 1), (-math.inf, 1), None, r"ymin must be a finite number, not -inf"),
        ((-1e308, 1e308), (0, 1), None, r"the box is too wide"),
        ((0, 1, 2), (0, 1), None, r"x must be a range \(xmin, xmax\), not \(0, 1, 2\)"),
        ("0, 1", (0, 1), None, r"x must be a range \(xmin, xmax\)"),
        ((0, "1"), (0, 1), None, r"xmax must be a number, not '1'"),
        ((0, 1), (0, 1), 2, r"points must be from 3 to 2,001 per axis, not 2"),
        ((0, 1), (0, 1), 10**6, r"points must be from 3 to 2,001 per axis, not 1,000,000"),
        ((0, 1), (0, 1), 10.5, r"points must be a whole number of grid points per axis, not 10.5"),
        ((0, 1), (0, 1), True, r"points must be a whole number of grid points per axis, not True"),
    ],
)
def test_bad_settings_are_refused(x, y, points, message):
    with pytest.raises(ValueError, match=message):
        critical_points("x^2 + y^2", x, y, points=points)


def test_derivlib_exposes_it_lazily():
    assert derivlib.critical_points is critical_points
