"""Points of interest against answers known in closed form, including the cases that trip up grid-only tools."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivlib import points_of_interest
from derivlib.analysis import COLUMNS, KINDS, MAX_PLACES, PLACE_COLUMNS, by_place, shown_places

PRECISION = 1e-12


def of_kind(frame, kind: str) -> np.ndarray:
    return frame.loc[frame["kind"] == kind, "x"].to_numpy()


def assert_points(found: np.ndarray, expected: list[float]) -> None:
    assert len(found) == len(expected), f"found {found}, expected {expected}"
    np.testing.assert_allclose(found, expected, rtol=0, atol=PRECISION)


def test_the_table_has_the_documented_columns_sorted_by_x():
    frame = points_of_interest("x^3 - x", -2, 2)
    assert list(frame.columns) == COLUMNS
    assert COLUMNS[:6] == ["kind", "x", "f", "d1", "d2", "edge"]
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


def test_the_kink_of_abs_is_a_minimum_at_a_corner_with_no_derivative():
    frame = points_of_interest("abs(x)", -1, 1.3)
    assert_points(of_kind(frame, "minimum"), [0.0])
    assert_points(of_kind(frame, "root"), [0.0])
    assert_points(of_kind(frame, "kink"), [0.0])
    assert_points(of_kind(frame, "inflection"), [])
    assert frame[["d1", "d2"]].isna().all(axis=None)  # no row at the corner makes up f′ = 0 (torch's sign(0))
    kink = frame[frame["kind"] == "kink"].iloc[0]
    assert (kink["d1_left"], kink["d1_right"]) == (-1.0, 1.0)


def test_a_kink_where_the_derivative_jumps_over_zero_is_an_extremum():
    """|x| + x/2 has f' = -1/2 left of 0 and 3/2 right of it: a minimum at 0, though f' is never 0."""
    frame = points_of_interest("abs(x) + x/2", -1, 1.3)
    assert_points(of_kind(frame, "minimum"), [0.0])
    kink = frame[frame["kind"] == "kink"].iloc[0]
    assert (kink["d1_left"], kink["d1_right"]) == (-0.5, 1.5)


@pytest.mark.parametrize(
    ("expr", "at", "extremum", "slopes"),
    [
        ("max(sin x, cos x)", math.pi / 4, "minimum", (-math.sqrt(0.5), math.sqrt(0.5))),  # between two floats
        ("max(sin x, cos x)", 5 * math.pi / 4, "minimum", (-math.sqrt(0.5), math.sqrt(0.5))),
        ("min(x^2, 2 - x)", 1.0, "maximum", (2.0, -1.0)),
        ("-abs(x - 0.3) + 1", 0.3, "maximum", (1.0, -1.0)),
        ("max(x, 2x)", 0.0, None, (1.0, 2.0)),  # the slope jumps, keeping its sign: no extremum
        ("{x < 0: 0, x}", 0.0, "minimum", (0.0, 1.0)),  # flat on one side, rising on the other
        ("{x < 0: -x, x^2}", 0.0, "minimum", (-1.0, 0.0)),  # a piecewise corner is a corner like |x|'s
        ("x^(2/3)", 0.0, "minimum", (-math.inf, math.inf)),  # a cusp: the slope runs off to opposite infinities
    ],
)
def test_a_corner_is_a_kink_its_extremum_decided_by_its_two_sides(expr, at, extremum, slopes):
    frame = points_of_interest(expr, -1.5, 4.5)
    kinks = frame[(frame["kind"] == "kink") & (np.abs(frame["x"] - at) < 0.1)]
    assert_points(kinks["x"].to_numpy(), [at])
    np.testing.assert_allclose(kinks[["d1_left", "d1_right"]].to_numpy()[0], slopes, rtol=1e-12, atol=1e-12)
    here = frame[np.abs(frame["x"] - at) <= 1e-12]
    assert set(here["kind"]) - {"root", "kink"} == ({extremum} if extremum else set())
    assert here[["d1", "d2"]].isna().all(axis=None)


def test_a_cusp_and_a_corner_without_an_extremum_say_so_in_words():
    cusp = by_place(points_of_interest("x^(2/3)", -1, 1))
    assert cusp["what it is"].tolist() == ["root, minimum, cusp"]
    corner = by_place(points_of_interest("max(x, 2x) + 3", -1, 1))
    assert corner["what it is"].tolist() == ["corner (no extremum)"]
    assert shown_places(corner).iloc[0][["f′", "f″", "f′(x⁻)", "f′(x⁺)"]].tolist() == [
        "undefined (corner)",
        "undefined (corner)",
        "1",
        "2",
    ]


def test_the_real_cube_root_crosses_zero_with_an_infinite_slope():
    frame = points_of_interest("cbrt(x)", -1, 1.1)
    assert_points(of_kind(frame, "root"), [0.0])
    assert_points(of_kind(frame, "inflection"), [0.0])
    assert_points(of_kind(frame, "kink"), [])  # +∞ on both sides: a vertical tangent, not a corner


def test_x_abs_x_bends_at_0_without_an_extremum():
    frame = points_of_interest("x abs(x)", -1, 1.2)
    assert_points(of_kind(frame, "inflection"), [0.0])  # f″ jumps from -2 to 2
    assert_points(of_kind(frame, "stationary"), [0.0])
    assert_points(of_kind(frame, "critical"), [])
    assert_points(of_kind(frame, "kink"), [])  # f′ is continuous: only f″ jumps


@pytest.mark.parametrize("expr", ["floor(x)", "floor(x) + x/10"])
def test_a_step_function_jumps_at_each_whole_number_with_its_one_sided_values(expr):
    frame = points_of_interest(expr, -2.5, 2.5)
    jumps = frame[frame["kind"] == "jump"]
    assert_points(jumps["x"].to_numpy(), [-2.0, -1.0, 0.0, 1.0, 2.0])
    tilt = 0.1 * jumps["x"].to_numpy() if "x/10" in expr else 0.0
    np.testing.assert_allclose(jumps["f_left"], jumps["x"] - 1 + tilt, rtol=0, atol=1e-12)
    np.testing.assert_allclose(jumps["f_right"], jumps["x"] + tilt, rtol=0, atol=1e-12)
    np.testing.assert_allclose(jumps["f"], jumps["x"] + tilt, rtol=0, atol=1e-12)  # floor(1) = 1: f takes the right
    assert jumps[["d1", "d2"]].isna().all(axis=None)


@pytest.mark.parametrize("points", [2001, 2000])  # 0 on the grid (0/0 there) or between two grid points
def test_a_single_undefined_point_between_two_values_is_a_jump_not_an_edge(points):
    frame = points_of_interest("abs(x)/x", -1, 1, points=points)
    assert not frame["edge"].any()
    assert of_kind(frame, "root").size == of_kind(frame, "minimum").size == of_kind(frame, "maximum").size == 0
    assert_points(of_kind(frame, "pole"), [])
    assert_points(of_kind(frame, "inflection"), [])  # f'' is rounding noise around 0, not a sign change
    jump = frame[frame["kind"] == "jump"]
    assert jump["x"].tolist() == [0.0] and jump[["f_left", "f_right"]].to_numpy().tolist() == [[-1.0, 1.0]]
    assert jump[["f", "d1", "d2"]].isna().all(axis=None)  # 0/0: f has no value there


@pytest.mark.parametrize(
    ("expr", "xmin", "xmax", "at", "limit"),
    [
        ("(x^2 - 1)/(x - 1)", -5, 5, 1.0, 2.0),
        ("(x^2 - 1)/(x - 1)", -5, 5.5, 1.0, 2.0),  # 1 not on the grid: found from the formula's denominator
        ("sin(x)/x", -10, 10, 0.0, 1.0),
        ("(x^3 - 8)/(x - 2)", 0, 3, 2.0, 12.0),
        ("x log(x^2)", -1, 1.7, 0.0, 0.0),
        ("(1 - cos(x))/x^2", -3, 3.3, 0.0, 0.5),
        ("x cot(x)", -1, 1, 0.0, 1.0),
    ],
)
def test_a_hole_is_listed_with_its_limit(expr, xmin, xmax, at, limit):
    frame = points_of_interest(expr, xmin, xmax)
    hole = frame[frame["kind"] == "hole"]
    assert hole["x"].tolist() == [at]
    assert hole[["f_left", "f_right"]].to_numpy().tolist() == [[limit, limit]]  # exactly, not 1.9999999999
    assert hole[["f", "d1", "d2"]].isna().all(axis=None)
    assert by_place(frame).loc[lambda p: p["x"] == at, "what it is"].str.contains("hole").all()


def test_the_notes_on_a_hole_formula_agree_with_its_chart():
    """(x² − 1)/(x − 1) is x + 1 but at 1: f″ is 0 up to rounding, said once, and no oscillation is made up."""
    notes = points_of_interest("(x^2 - 1)/(x - 1)", -5, 5).attrs["notes"]
    assert notes == ["f″ is 0 everywhere in this range (up to rounding): no inflection points"]


def test_sin_of_one_over_x_lists_a_bounded_number_of_places_and_says_what_it_leaves_out():
    frame = points_of_interest("sin(1/x)", -5, 5)
    places = by_place(frame)
    assert len(places) == MAX_PLACES
    roots = of_kind(frame, "root")
    np.testing.assert_allclose(np.sin(1 / roots), 0, atol=1e-9)
    assert np.min(np.abs(roots)) > 0.01  # the most widely spaced: those the chart can show, away from 0
    notes = " ".join(frame.attrs["notes"])
    assert "oscillates faster than the grid resolves near x = 0" in notes
    assert "more places in the range" in notes
    assert "has no limit" in notes  # f is undefined at 0, where it oscillates


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


@pytest.mark.parametrize("expr", ["sqrt(x)", "x^(1/4)"])
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
    assert list(places.columns) == PLACE_COLUMNS
    zero = places[places["x"] == 0.0]
    assert zero["what it is"].tolist() == ["root, stationary point (no extremum), inflection point"]
    assert places["x"].is_unique and places["x"].is_monotonic_increasing
    edge = by_place(points_of_interest("sqrt(1 - x^2)", -2, 2))
    assert edge["what it is"].tolist() == [
        "root, minimum at an edge of the domain",
        "maximum",
        "root, minimum at an edge of the domain",
    ]
    assert edge["x"].tolist() == [-1.0, 0.0, 1.0]


def test_a_pole_has_no_value_in_the_places_table_but_its_two_sides():
    places = by_place(points_of_interest("e^x/x", -5, 5))
    pole = places[places["what it is"] == "pole"]
    assert pole["x"].tolist() == [0.0] and pole[["f", "f′", "f″"]].isna().all(axis=None)
    assert pole[["f(x⁻)", "f(x⁺)"]].to_numpy().tolist() == [[-math.inf, math.inf]]
    assert shown_places(places).iloc[0][["f", "f(x⁻)", "f(x⁺)"]].tolist() == ["undefined (pole)", "−∞", "∞"]


def test_the_poles_of_tan_have_no_values_in_the_frame_either():
    frame = points_of_interest("tan(x)", -5, 5)
    poles = frame[frame["kind"] == "pole"]
    assert len(poles) == 4 and poles[["f", "d1", "d2"]].isna().all(axis=None)  # not f = 3e14, f′ = 9e28
    assert (poles["f_left"] == math.inf).all() and (poles["f_right"] == -math.inf).all()


# Every value as honest as its rounding: 0 where it is 0 up to rounding, and what each kind says it is exactly.


def test_roots_and_inflection_points_of_tan_at_plus_minus_pi_are_exactly_0_there():
    frame = points_of_interest("tan(x)", -5, 5)
    assert (frame.loc[frame["kind"] == "root", "f"] == 0).all()  # not ∓2.5e-15
    assert (frame.loc[frame["kind"] == "inflection", "d2"] == 0).all()  # not ∓5e-15


@pytest.mark.parametrize(
    ("expr", "kind", "column"), [("sin(x)", "maximum", "d1"), ("exp(-x^2) cos(5x)", "minimum", "d1")]
)
def test_an_extremum_has_f_prime_exactly_0(expr, kind, column):
    frame = points_of_interest(expr, -3, 3)
    assert (frame.loc[frame["kind"] == kind, column] == 0).all()
    assert (frame.loc[frame["kind"] == kind, "d2"] != 0).all()  # f″ is computed, not set


def test_a_value_within_rounding_of_0_is_0_in_the_frame():
    """At sin(1/x)'s inflection points f′ and f″ are computed; f″ there is 0 exactly, and so is any other noise."""
    frame = points_of_interest("sin(x)^2 + cos(x)^2 + x^3", -1, 1)
    assert frame.loc[frame["x"] == 0, ["f", "d1", "d2"]].to_numpy().tolist() == [[1.0, 0.0, 0.0]] * len(
        frame[frame["x"] == 0]
    )


def test_by_place_has_one_row_per_place_and_the_pages_column_names():
    frame = points_of_interest("tan(x)", -4, 4)
    places = by_place(frame)
    assert places["x"].is_unique and len(places) == len(set(frame["x"]))
    assert "root, inflection point" in places["what it is"].tolist()
    assert list(shown_places(places).columns) == ["x", "what it is", "f", "f′", "f″", "f(x⁻)", "f(x⁺)"]
