"""Points of interest against answers known in closed form, including the cases that trip up grid-only tools."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivlib import points_of_interest
from derivlib.analysis import KINDS, MAX_PER_KIND

PRECISION = 1e-12


def of_kind(frame, kind: str) -> np.ndarray:
    return frame.loc[frame["kind"] == kind, "x"].to_numpy()


def assert_points(found: np.ndarray, expected: list[float]) -> None:
    assert len(found) == len(expected), f"found {found}, expected {expected}"
    np.testing.assert_allclose(found, expected, rtol=0, atol=PRECISION)


def test_the_table_has_the_documented_columns_sorted_by_x():
    frame = points_of_interest("x^3 - x", -2, 2)
    assert list(frame.columns) == ["kind", "x", "f", "d1", "d2"]
    assert set(frame["kind"]) <= set(KINDS)
    assert frame["x"].is_monotonic_increasing


def test_roots_of_a_cubic():
    frame = points_of_interest("x^3 - x", -2, 2)
    assert_points(of_kind(frame, "root"), [-1.0, 0.0, 1.0])
    assert np.all(np.abs(frame.loc[frame["kind"] == "root", "f"]) < 1e-15)


def test_extrema_of_a_cubic_by_the_second_derivative_test():
    frame = points_of_interest("x^3 - x", -2, 2)
    assert_points(of_kind(frame, "maximum"), [-1 / math.sqrt(3)])
    assert_points(of_kind(frame, "minimum"), [1 / math.sqrt(3)])


def test_extremum_of_x_exp_minus_x():
    frame = points_of_interest("x e^-x", -1, 5)
    assert_points(of_kind(frame, "maximum"), [1.0])
    assert_points(of_kind(frame, "minimum"), [])
    assert_points(of_kind(frame, "inflection"), [2.0])


def test_x_cubed_has_an_inflection_and_an_inconclusive_critical_point_at_0():
    frame = points_of_interest("x^3", -1, 1)
    assert_points(of_kind(frame, "inflection"), [0.0])
    assert_points(of_kind(frame, "critical"), [0.0])  # f' = 0 but f' has the same sign on both sides
    assert_points(of_kind(frame, "minimum"), [])


def test_inflection_points_of_sin_over_two_periods_include_the_ends():
    frame = points_of_interest("sin(x)", 0, 4 * math.pi)
    expected = [k * math.pi for k in range(5)]
    np.testing.assert_allclose(of_kind(frame, "inflection"), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(of_kind(frame, "root"), expected, rtol=0, atol=1e-12)
    assert_points(of_kind(frame, "maximum"), [math.pi / 2, 5 * math.pi / 2])
    assert_points(of_kind(frame, "minimum"), [3 * math.pi / 2, 7 * math.pi / 2])


def test_x_to_the_fourth_has_a_minimum_but_no_inflection_at_0():
    """f'' = 12x^2 is zero at 0 without changing sign: no inflection point there."""
    frame = points_of_interest("x^4", -1, 1)
    assert_points(of_kind(frame, "inflection"), [])
    assert_points(of_kind(frame, "minimum"), [0.0])
    assert_points(of_kind(frame, "root"), [0.0])


def test_a_double_root_that_touches_zero_without_crossing_is_found():
    frame = points_of_interest("(x-1)^2", 0, 3)
    assert_points(of_kind(frame, "root"), [1.0])
    assert_points(of_kind(frame, "minimum"), [1.0])


def test_tan_has_poles_where_it_changes_sign_through_infinity_not_roots():
    frame = points_of_interest("tan(x)", -3, 3)
    assert_points(of_kind(frame, "root"), [0.0])
    np.testing.assert_allclose(of_kind(frame, "pole"), [-math.pi / 2, math.pi / 2], rtol=0, atol=1e-12)


def test_one_over_x_has_a_pole_at_0_even_when_0_is_on_the_grid():
    frame = points_of_interest("1/x", -1, 1, points=2001)  # the grid's middle point is 0, where f = inf
    assert_points(of_kind(frame, "pole"), [0.0])
    assert_points(of_kind(frame, "root"), [])


def test_the_kink_of_abs_is_a_minimum():
    frame = points_of_interest("abs(x)", -1, 1.3)
    assert_points(of_kind(frame, "minimum"), [0.0])
    assert_points(of_kind(frame, "root"), [0.0])
    assert_points(of_kind(frame, "inflection"), [])


def test_a_kink_where_the_derivative_jumps_over_zero_is_an_extremum():
    """|x| + x/2 has f' = -1/2 left of 0 and 3/2 right of it: a minimum at 0, though f' is never 0."""
    frame = points_of_interest("abs(x) + x/2", -1, 1.3)
    assert_points(of_kind(frame, "minimum"), [0.0])


def test_a_cusp_is_a_minimum():
    frame = points_of_interest("sqrt(abs(x))", -1, 1.1)
    assert_points(of_kind(frame, "minimum"), [0.0])


def test_the_real_cube_root_crosses_zero_with_an_infinite_slope():
    frame = points_of_interest("cbrt(x)", -1, 1.1)
    assert_points(of_kind(frame, "root"), [0.0])
    assert_points(of_kind(frame, "inflection"), [0.0])


def test_x_abs_x_bends_at_0_without_an_extremum():
    frame = points_of_interest("x abs(x)", -1, 1.2)
    assert_points(of_kind(frame, "inflection"), [0.0])
    assert_points(of_kind(frame, "critical"), [0.0])


def test_a_jump_across_zero_is_not_a_root_and_is_said_so():
    frame = points_of_interest("abs(x)/x", -1, 1.1)
    assert_points(of_kind(frame, "root"), [])
    assert_points(of_kind(frame, "pole"), [])
    assert_points(of_kind(frame, "inflection"), [])  # f'' is rounding noise around 0, not a sign change
    assert any("jump" in note for note in frame.attrs["notes"])


def test_sin_of_one_over_x_reports_that_there_are_more_than_it_lists():
    frame = points_of_interest("sin(1/x)", 0.001, 1)
    roots = of_kind(frame, "root")
    assert len(roots) == MAX_PER_KIND
    np.testing.assert_allclose(np.sin(1 / roots), 0, atol=1e-9)
    assert roots[0] < 0.0011  # the first ones, nearest the left end
    notes = " ".join(frame.attrs["notes"])
    assert f"more than {MAX_PER_KIND} roots" in notes
    assert "faster than the grid resolves" in notes


def test_flat_stretches_are_noted_instead_of_listing_every_point():
    frame = points_of_interest("(x + abs(x))/2", -1, 1)
    assert of_kind(frame, "root").size == 0
    assert any(note.startswith("f is 0 on") for note in frame.attrs["notes"])


def test_a_constant_has_nothing_to_report_and_says_why():
    frame = points_of_interest("4", 0, 1)
    assert frame.empty
    assert any(note.startswith("f′ is 0 on") for note in frame.attrs["notes"])


def test_undefined_stretches_are_skipped():
    frame = points_of_interest("log(x)", -1, 3)
    assert_points(of_kind(frame, "root"), [1.0])
    assert_points(of_kind(frame, "pole"), [])


def test_parameters_move_the_points():
    frame = points_of_interest("x^2 - a", -3, 3, params={"a": 2})
    assert_points(of_kind(frame, "root"), [-math.sqrt(2), math.sqrt(2)])


@pytest.mark.parametrize("points", [101, 2000, 20_001])
def test_the_refined_points_do_not_depend_on_the_grid_density(points):
    frame = points_of_interest("exp(-x^2/2) cos(3x)", -2, 2, points=points)
    np.testing.assert_allclose(
        of_kind(frame, "root"), [-3 * math.pi / 6, -math.pi / 6, math.pi / 6, math.pi / 2], rtol=0, atol=PRECISION
    )


def test_bad_ranges_raise_value_errors():
    with pytest.raises(ValueError, match="smaller to a larger"):
        points_of_interest("x", 1, 0)
    with pytest.raises(ValueError, match="at least 3 points"):
        points_of_interest("x", 0, 1, points=2)
