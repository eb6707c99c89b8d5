"""The insight figure builders: points of interest as markers, the tangent, Taylor polynomial and osculating circle."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import derivlib
from derivlib.figures.one_variable import (
    INSIGHT,
    KIND_MARKERS,
    add_point_view,
    add_points_of_interest,
    circle_problem,
    clickable,
    derivatives_figure,
    finite_difference_figure,
    value_range,
)
from derivlib.taylor import at_point


def added(figure) -> dict:
    return {trace.name: trace for trace in figure.data if trace.meta == INSIGHT}


@pytest.fixture(scope="module")
def cubic():
    return derivlib.grid_table("x^3 - x", -2, 2, 2_001, order=2)


def test_each_kind_gets_its_own_marker_with_what_the_place_is_on_hover(cubic):
    nan = np.nan
    points = pd.DataFrame(
        {
            "kind": list(KIND_MARKERS),
            "x": [0.0, 1.0, -1.0, 1.2, 1.5, 0.5, -1.5, 1.8, -0.5, 0.25],
            "f": [0.0, 2.0, 3.0, 3.5, 4.0, 5.0, nan, 6.0, 7.0, nan],
            "d1": [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, nan, nan, nan, nan],
            "d2": [0.0, 2.0, -2.0, 0.0, 0.0, 0.0, nan, nan, nan, nan],
            "edge": [False] * 10,
            "f_left": [nan] * 6 + [-math.inf, nan, 6.5, 2.0],
            "f_right": [nan] * 6 + [math.inf, nan, 7.0, 2.0],
            "d1_left": [nan] * 7 + [-1.0, nan, nan],
            "d1_right": [nan] * 7 + [2.0, nan, nan],
        }
    )
    figure = add_points_of_interest(derivatives_figure(cubic), points, f_range=(-10.0, 10.0))
    marks = added(figure)
    assert [marks[label].name for _, _, label in KIND_MARKERS.values()] == [m[2] for m in KIND_MARKERS.values()]
    styles = {(symbol, colour) for kind, (symbol, colour, _) in KIND_MARKERS.items() if kind != "pole"}
    assert len(styles) == len(KIND_MARKERS) - 1  # one distinct marker per kind but the pole, a dotted line
    assert all(trace.yaxis == "y" for trace in marks.values())  # on the f panel
    assert list(marks["minimum"].x) == [1.0] and list(marks["minimum"].y) == [2.0]
    assert marks["minimum"].hovertext == ("<b>minimum</b>: x = 1, f = 2, f′ = 0, f″ = 2",)
    assert marks["corner"].hovertext == (
        "<b>corner (no extremum)</b>: x = 1.8, f = 6, f′ undefined (corner), f″ undefined (corner), f′(x⁻) = -1, "
        "f′(x⁺) = 2",
    )
    assert list(marks["hole"].y) == [2.0]  # an open dot at the limit
    jump = marks["jump"]  # a filled dot at f's value, an open one at the side's value it does not take
    assert (
        list(jump.x) == [-0.5, -0.5]
        and list(jump.y) == [7.0, 6.5]
        and list(jump.marker.color) == ["#636efa", "#ffffff"]
    )
    pole = marks["pole"]  # a vertical line across the range: f has no value there
    assert list(pole.x[:2]) == [-1.5, -1.5] and list(pole.y[:2]) == [-10.0, 10.0]
    assert [trace.showlegend for trace in figure.data[:3]] == [False] * 3 and figure.layout.showlegend


def test_the_real_points_of_x3_minus_x_are_marked(cubic):
    figure = add_points_of_interest(derivatives_figure(cubic), derivlib.points_of_interest("x^3 - x", -2, 2))
    marks = added(figure)
    assert sorted(marks["root"].x) == pytest.approx([-1, 0, 1], abs=1e-12)
    assert list(marks["maximum"].x) == pytest.approx([-1 / math.sqrt(3)])
    assert list(marks["inflection"].x) == pytest.approx([0.0], abs=1e-12)


def test_tangent_taylor_remainder_and_circle(cubic):
    view = at_point("x^3 - x", 1.0, order=2)  # f = 0, f′ = 2, f″ = 6
    grid = (cubic["x"].to_numpy(), cubic["f"].to_numpy())
    figure = derivatives_figure(cubic, overlay=True)  # one tall panel: one unit of x and of f look alike
    figure = add_point_view(figure, view, (-2, 2), taylor_order=2, remainder_of=grid, f_range=(-2, 2))
    marks = added(figure)
    tangent = marks["tangent at x₀"]
    assert np.asarray(tangent.y) == pytest.approx(2 * (np.asarray(tangent.x) - 1))
    taylor = marks["Taylor T₂"]
    x = np.asarray(taylor.x)
    assert np.asarray(taylor.y) == pytest.approx(2 * (x - 1) + 3 * (x - 1) ** 2)
    remainder = marks["|f − T₂|"]  # x³ − x − T₂ = (x − 1)³
    assert np.asarray(remainder.y, dtype=float) == pytest.approx(
        np.abs(np.asarray(remainder.x, float) - 1) ** 3, abs=1e-4
    )
    circle = marks["osculating circle"]
    radius = np.hypot(np.asarray(circle.x) - view.center[0], np.asarray(circle.y) - view.center[1])
    assert radius == pytest.approx(5**1.5 / 6)  # (1 + f′²)^{3/2} / |f″|
    assert view.radius == pytest.approx(5**1.5 / 6)
    assert np.min(np.hypot(np.asarray(circle.x) - 1, np.asarray(circle.y))) < 0.01 * view.radius  # through (x₀, f)
    assert list(marks["x₀"].x) == [1.0] and list(figure.layout.xaxis.range) == [-2, 2]


def test_the_circle_is_drawn_only_where_it_reads_as_one(cubic):
    view = at_point("x^3 - x", 1.0, order=2)  # radius 1.86
    stacked = derivatives_figure(cubic)  # f's panel: 4 wide and 12 tall, in a strip 6 times wider than tall
    assert "flat ellipse" in circle_problem(view.radius, stacked, (-2, 2))
    assert "osculating circle" not in added(add_point_view(stacked, view, (-2, 2), taylor_order=2))
    assert (
        circle_problem(view.radius, stacked, (-1, 1), f_range=(-2, 2))
        == "its radius 1.86 makes it larger than the panel"
    )
    assert circle_problem(view.radius, derivatives_figure(cubic, overlay=True), (-2, 2), f_range=(-2, 2)) == ""


def test_a_straight_point_has_no_circle_and_order_one_no_taylor(cubic):
    view = at_point("x^3 - x", 0.0, order=2)  # f″(0) = 0: the circle is the tangent line
    figure = add_point_view(derivatives_figure(cubic), view, (-2, 2), taylor_order=1)
    assert set(added(figure)) == {"tangent at x₀", "x₀"}


def test_value_range_ignores_a_pole():
    x = np.linspace(-1.5, 1.5, 10_001)
    low, high = value_range(np.tan(x))
    assert 10 < high < 100 and -100 < low < -10
    assert value_range(np.array([np.nan])) is None


def test_finite_difference_figure_marks_the_best_step():
    errors = derivlib.finite_difference_errors("sin(x)", 1.0)
    best = derivlib.best_step(errors)
    figure = finite_difference_figure(errors, best)
    names = [trace.name for trace in figure.data]
    assert names == ["float32", "best h, float32", "float64", "best h, float64"]
    assert figure.layout.xaxis.type == "log" and figure.layout.yaxis.type == "log"
    star = figure.data[3]
    assert list(star.x) == [best.loc[1, "h"]] and 1e-9 < best.loc[1, "h"] < 1e-3


def test_clickable_curves_keep_their_look(cubic):
    figure = add_points_of_interest(derivatives_figure(cubic), derivlib.points_of_interest("x^3 - x", -2, 2))
    clickable(figure)
    curve = figure.data[0]
    assert curve.mode == "lines+markers" and curve.marker.opacity == 0 and curve.unselected.marker.opacity == 0
    assert added(figure)["root"].unselected.marker.opacity == 1


def test_a_click_selects_fs_point_and_not_a_line_drawn_at_x0(cubic):
    figure = add_point_view(derivatives_figure(cubic), at_point("x^3 - x", 1.0, order=2), (-2, 2), taylor_order=2)
    clickable(figure)
    assert figure.data[0].marker.maxdisplayed == 1  # one SVG node, not 5,000: clicked from the data all the same
    lines = [trace for trace in figure.data if trace.meta == INSIGHT and trace.mode == "lines"]
    assert lines and all(trace.hoverinfo == "skip" for trace in lines)  # never the first point a click finds
