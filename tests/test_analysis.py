"""Points of interest against answers known in closed form, including the cases that trip up grid-only tools."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivlib import points_of_interest
from derivlib.analysis import KINDS, MAX_PER_KIND, by_place

PRECISION = 1e-12


def of_kind(frame, kind: str) -> np.ndarray:
    return frame.loc[frame["kind"] == kind, "x"].to_numpy()


def assert_points(found: np.ndarray, expected: list[float]) -> None:
    assert len(found) == len(expected), f"found {found}, expected {expected}"
    np.testing.assert_allclose(found, expected, rtol=0, atol=PRECISION)


def test_the_table_has_the_documented_columns_sorted_by_x():
    frame = points_of_interest("x^3 - x", -2, 2)
    assert list(frame.columns) == ["kind", "x", "f", "d1", "d2", "edge"]
    assert set(frame["kind"]) <= set(KINDS)
    assert not frame["edge"].any()  # f is defined everywhere: no point lies at an edge of its domain
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


def test_x_cubed_has_an_inflection_and_a_stationary_point_at_0():
    frame = points_of_interest("x^3", -1, 1)
    assert_points(of_kind(frame, "inflection"), [0.0])
    assert_points(of_kind(frame, "stationary"), [0.0])  # f' = 0 but f' has the same sign on both sides
    assert_points(of_kind(frame, "critical"), [])  # the first-derivative test is conclusive: no extremum
    assert_points(of_kind(frame, "minimum"), [])
    assert_points(of_kind(frame, "maximum"), [])


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
    assert_points(of_kind(frame, "stationary"), [0.0])
    assert_points(of_kind(frame, "critical"), [])


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
    assert any(note.startswith("f′ is 0 everywhere in this range") for note in frame.attrs["notes"])


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


# Points within rounding of a simpler number at which they hold exactly are reported at that number.


@pytest.mark.parametrize("expr", ["x^2 sin x", "x^3", "tan(x) - x"])
def test_a_triple_zero_at_0_is_one_root_one_stationary_and_one_inflection_point_at_exactly_0(expr):
    frame = points_of_interest(expr, -5, 5)
    near = frame[np.abs(frame["x"]) < 0.1]
    assert sorted(near["kind"]) == ["inflection", "root", "stationary"]
    assert list(near["x"]) == [0.0, 0.0, 0.0]


def test_the_cube_root_crosses_zero_at_exactly_0():
    frame = points_of_interest("cbrt(x)", -5, 5)
    assert list(of_kind(frame, "root")) == [0.0]  # not -1.4e-19, where cbrt is -5e-7


def test_a_pole_found_within_rounding_of_0_is_at_0():
    frame = points_of_interest("e^x/x", -5, 5)
    assert list(of_kind(frame, "pole")) == [0.0]  # not 2.7e-19, where f is 3.7e18
    assert_points(of_kind(frame, "minimum"), [1.0])


def test_rows_at_one_place_carry_one_x():
    frame = points_of_interest("tan(x)", -3, 3)
    assert list(of_kind(frame, "root")) == list(of_kind(frame, "inflection")) == [0.0]
    np.testing.assert_allclose(of_kind(frame, "pole"), [-math.pi / 2, math.pi / 2], rtol=0, atol=1e-12)
    # At ±π the root and the inflection point are found ulps apart; neither is exact at a simpler number.
    wide = points_of_interest("tan(x)", -4, 4)
    np.testing.assert_array_equal(of_kind(wide, "root"), of_kind(wide, "inflection"))
    assert_points(of_kind(wide, "root"), [-math.pi, 0.0, math.pi])


def test_roots_of_sin_stay_at_the_floats_nearest_k_pi():
    """sin(3.14159265358979) is not 0: only the root at 0 is exact, the others are not moved to a shorter number."""
    roots = of_kind(points_of_interest("sin(x)", 0, 4 * math.pi), "root")
    assert roots[0] == 0.0
    expected = np.array([k * math.pi for k in range(1, 5)])
    assert np.all(np.abs(roots[1:] - expected) <= np.spacing(expected))


# Roots and extrema at the edges of the domain.


@pytest.mark.parametrize("expr", ["sqrt(x)", "x^(1/3)"])
def test_a_root_and_minimum_where_the_domain_begins(expr):
    frame = points_of_interest(expr, -5, 5)
    assert list(frame["kind"]) == ["root", "minimum"]
    assert list(frame["x"]) == [0.0, 0.0]
    assert list(frame["f"]) == [0.0, 0.0]
    assert frame["edge"].all()


def test_a_half_circle_has_roots_and_minima_at_both_edges_and_a_maximum_inside():
    frame = points_of_interest("sqrt(1 - x^2)", -5, 5)
    assert list(of_kind(frame, "root")) == [-1.0, 1.0]
    assert list(of_kind(frame, "minimum")) == [-1.0, 1.0]
    assert frame.loc[frame["x"] != 0, "edge"].all()
    maximum = frame[frame["kind"] == "maximum"]
    assert list(maximum["x"]) == [0.0] and list(maximum["f"]) == [1.0] and not maximum["edge"].any()


def test_acos_has_a_maximum_at_minus_1_and_a_root_and_minimum_at_1():
    frame = points_of_interest("acos(x)", -5, 5)
    edges = frame[frame["edge"]]
    assert list(zip(edges["kind"], edges["x"], strict=True)) == [("maximum", -1.0), ("root", 1.0), ("minimum", 1.0)]
    np.testing.assert_allclose(edges["f"], [math.pi, 0.0, 0.0], rtol=0, atol=1e-15)
    assert_points(of_kind(frame, "inflection"), [0.0])


def test_where_f_is_not_finite_at_the_edge_nothing_is_reported_there():
    frame = points_of_interest("log(x)", -1, 3)
    assert list(frame["kind"]) == ["root"]  # at 1: no pole, no extremum at 0, where log is -inf
    assert not frame["edge"].any()


def test_an_end_of_the_range_is_not_an_edge_of_the_domain():
    assert points_of_interest("x^2", 1, 5).empty  # no minimum at 1


def test_a_single_undefined_point_is_a_hole_not_an_edge():
    frame = points_of_interest("abs(x)/x", -1, 1, points=2001)  # 0/0 at the grid's middle point
    assert not frame["edge"].any()
    assert of_kind(frame, "root").size == of_kind(frame, "minimum").size == of_kind(frame, "maximum").size == 0


# Notes: one per derivative, not one per stretch.


def test_a_derivative_that_is_rounding_noise_everywhere_gets_one_note():
    notes = points_of_interest("sin(x)^2 + cos(x)^2", -5, 5).attrs["notes"]
    for name in ("f", "f′", "f″"):
        assert sum(note.startswith(f"{name} is") for note in notes) <= 1, notes
    assert not any("stretch" in note or "[" in note for note in notes), notes
    assert any(note.startswith("f″ is 0 everywhere in this range (up to rounding)") for note in notes), notes


def test_a_derivative_that_is_0_on_several_stretches_gets_one_note_with_ends_in_the_range():
    """max(sin 3x, 0) is exactly 0 wherever sin 3x < 0: on 5 stretches of [-5, 5], the first from -5 to -4π/3."""
    notes = points_of_interest("(sin(3x) + abs(sin(3x)))/2", -5, 5).attrs["notes"]
    for name in ("f", "f′", "f″"):
        [note] = [note for note in notes if note.startswith(f"{name} is")]
        assert note.startswith(f"{name} is 0 on [-5, -4.18"), note
        assert "and 3 more stretches" in note, note


# Poles where |f| grows without bound without changing sign.


@pytest.mark.parametrize(
    ("expr", "xmin", "xmax", "pole"),
    [("1/x^2", -1, 1, 0.0), ("1/x^2", -1, 2, 0.0), ("1/(x-1)^2", -5, 5, 1.0), ("1/sqrt(abs(x))", -1, 1.3, 0.0)],
)
def test_an_even_pole_is_found_at_its_exact_place(expr, xmin, xmax, pole):
    frame = points_of_interest(expr, xmin, xmax)
    assert list(frame["kind"]) == ["pole"]
    assert list(frame["x"]) == [pole]


def test_even_poles_of_sec_squared():
    frame = points_of_interest("sec(x)^2", -5, 5)
    poles = [-3 * math.pi / 2, -math.pi / 2, math.pi / 2, 3 * math.pi / 2]
    np.testing.assert_allclose(of_kind(frame, "pole"), poles, rtol=0, atol=1e-12)
    assert_points(of_kind(frame, "minimum"), [-math.pi, 0.0, math.pi])


def test_by_place_gathers_what_each_point_is():
    places = by_place(points_of_interest("x^2 sin x", -5, 5))
    zero = places[places["x"] == 0.0]
    assert zero["what"].tolist() == ["root, stationary point (no extremum), inflection point"]
    assert places["x"].is_unique and places["x"].is_monotonic_increasing
    edge = by_place(points_of_interest("sqrt(1 - x^2)", -2, 2))
    assert edge["what"].tolist() == [
        "root, minimum at an edge of the domain",
        "maximum",
        "root, minimum at an edge of the domain",
    ]
    assert edge["x"].tolist() == [-1.0, 0.0, 1.0]


def test_a_pole_has_no_value_in_the_places_table():
    places = by_place(points_of_interest("e^x/x", -5, 5))
    pole = places[places["what"] == "pole"]
    assert pole["x"].tolist() == [0.0] and pole[["f", "d1", "d2"]].isna().all(axis=None)
