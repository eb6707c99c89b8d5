"""The two-variable figure builders: what reaches the browser (sizes, dtypes, payload) and what it shows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import derivlib
from derivlib.figures.two_variables import (
    ARROW_FILL,
    ARROWS,
    CLICK,
    CRITICAL,
    CRITICAL_MARKERS,
    ERROR_SAMPLE,
    MAP_AXIS,
    PANEL_AXIS,
    PLANE_LINES,
    PLANE_SHARE,
    SURFACE_AXIS,
    add_click_layer,
    add_critical_points,
    add_gradient_arrows,
    add_picked_point,
    arrow_lattice,
    balanced_colours,
    click_lattice,
    colour_range,
    contour_figure,
    grid_arrays,
    map_errors,
    partials_figures,
    payload,
    sample_indices,
    screen_scale,
    surface_figure,
    zeroed_surface_table,
)

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
BOX = ((-5.0, 5.0), (-5.0, 5.0))


@pytest.fixture(scope="module")
def himmelblau() -> pd.DataFrame:
    return derivlib.surface_table(HIMMELBLAU, (-5, 5, 1000), (-5, 5, 1000))


def full_map(frame: pd.DataFrame, text: str = HIMMELBLAU, box=BOX):
    """The map as the page builds it: contour, arrows, critical points, the picked point, the click layer."""
    figure = contour_figure(frame)
    ax, ay = arrow_lattice(*box)
    gradient = derivlib.partials(text, {"x": ax, "y": ay}, order=1)
    add_gradient_arrows(figure, ax, ay, gradient["fx"].numpy(), gradient["fy"].numpy())
    add_critical_points(figure, derivlib.critical_points(text, x=box[0], y=box[1]))
    add_picked_point(figure, (1.0, 1.0), (1.0, 0.0))
    cx, cy = click_lattice(*box)
    add_click_layer(figure, cx, cy, derivlib.partials(text, {"x": cx, "y": cy}, order=0)["f"].numpy())
    return figure


def test_a_million_points_reach_the_browser_as_a_few_hundred_per_axis_in_float32(himmelblau):
    figure = contour_figure(himmelblau)
    (contour,) = figure.data
    assert contour.z.shape == (MAP_AXIS, MAP_AXIS) and contour.z.dtype == np.float32
    assert contour.x.dtype == contour.y.dtype == np.float32
    assert (contour.x[0], contour.x[-1], contour.y[0], contour.y[-1]) == (-5, 5, -5, 5)  # the edges kept
    z = grid_arrays(himmelblau, "f")[2]
    i = sample_indices(1000, MAP_AXIS)
    np.testing.assert_array_equal(contour.z, z[np.ix_(i, i)].astype(np.float32))  # exact values at grid points


def test_the_whole_map_stays_under_a_megabyte_at_a_million_points(himmelblau):
    figure = full_map(himmelblau)
    size = payload(figure)
    assert size < 1_000_000, size
    # A float64 contour of every point would be 11 MB (18 MB as Plotly's JSON lists): the decimation is the point.
    assert sum(payload(panel) for panel in partials_figures(himmelblau).values()) < 1_000_000
    assert payload(surface_figure(himmelblau)) < 300_000


@pytest.mark.parametrize(
    ("limit", "expected"),
    [(MAP_AXIS, MAP_AXIS), (PANEL_AXIS, PANEL_AXIS), (SURFACE_AXIS, SURFACE_AXIS), (2000, 1000)],
)
def test_sample_indices_keep_both_ends_and_at_most_the_limit(limit, expected):
    index = sample_indices(1000, limit)
    assert len(index) == expected and index[0] == 0 and index[-1] == 999
    assert np.all(np.diff(index) > 0)


def test_the_gradient_arrows_are_a_readable_field_pointing_uphill():
    # f = x² + y²: ∇f = (2x, 2y) points away from the origin, and grows with the distance from it.
    figure = contour_figure(derivlib.surface_table("x^2 + y^2", (-5, 5, 200), (-5, 5, 200)))
    ax, ay = arrow_lattice(*BOX)
    assert len(ax) == ARROWS * ARROWS
    add_gradient_arrows(figure, ax, ay, 2 * ax, 2 * ay)
    halo, arrows = figure.data[1:]
    assert arrows.name == "∇f (uphill)" and halo.showlegend is False
    assert arrows.mode == halo.mode == "lines"  # heads too: two SVG paths in all, not a marker per head
    np.testing.assert_array_equal(halo.x, arrows.x)
    # Each arrow is 7 points: tail, tip, a gap, one barb, the tip again, the other barb, a gap.
    strokes = np.stack([arrows.x, arrows.y], axis=1).astype(float).reshape(-1, 7, 2)
    tails, tips = strokes[:, 0], strokes[:, 1]
    assert len(tails) == ARROWS * ARROWS - 1  # all but the centre cell's: ∇f = 0 at the origin
    assert np.isnan(strokes[:, [2, 6]]).all()  # each arrow separate strokes
    np.testing.assert_array_equal(strokes[:, 4], tips)
    middles, along = (tails + tips) / 2, tips - tails
    drawn = np.hypot(ax, ay) > 1e-9
    np.testing.assert_allclose(middles, np.stack([ax, ay], axis=1)[drawn], atol=1e-5)  # centred on the lattice
    cosine = (along * middles).sum(axis=1) / np.linalg.norm(along, axis=1) / np.linalg.norm(middles, axis=1)
    assert cosine.min() > 1 - 1e-5  # outward: uphill
    sx, sy, _ = screen_scale(*BOX)
    on_screen = np.hypot(along[:, 0] * sx, along[:, 1] * sy)
    assert on_screen.max() <= ARROW_FILL / ARROWS + 1e-6  # no arrow runs into its neighbour
    assert on_screen.min() > 0.2 * on_screen.max()  # the square root keeps the short ones visible
    for barb in (strokes[:, 3], strokes[:, 5]):  # back from the tip, on screen, either side of the shaft
        back = (barb - tips) * (sx, sy)
        shaft = (tails - tips) * (sx, sy)
        cosine = (back * shaft).sum(axis=1) / np.linalg.norm(back, axis=1) / np.linalg.norm(shaft, axis=1)
        np.testing.assert_allclose(cosine, math.cos(math.radians(28)), rtol=1e-4)
        heads = np.linalg.norm(back, axis=1)
        assert np.all(heads < 0.5 * np.linalg.norm(shaft, axis=1) + 0.01)  # a head smaller than its arrow
        assert np.all(np.diff(heads[np.argsort(on_screen)]) >= -1e-6)  # and growing with it


def test_no_arrow_where_the_slope_is_nil_or_undefined():
    figure = contour_figure(derivlib.surface_table("x^2 + y^2", (-5, 5, 50), (-5, 5, 50)))
    x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.zeros(4)
    add_gradient_arrows(figure, x, y, np.array([0.0, np.nan, 2.0, 1e-9]), np.zeros(4))
    assert len(figure.data[-1].x) == 7  # one arrow, at x = 2


def test_critical_points_are_marked_by_kind_with_a_legend():
    points = pd.DataFrame(
        {
            "kind": ["minimum", "saddle", "minimum", "maximum", "degenerate"],
            "x": [3.0, 0.1, -2.8, -0.27, 0.0],
            "y": [2.0, 2.9, 3.1, -0.92, 0.0],
            **{name: [0.0] * 5 for name in ("f", "fx", "fy", "fxx", "fxy", "fyy")},
        }
    )
    figure = add_critical_points(contour_figure(derivlib.surface_table("x y", (-5, 5, 50), (-5, 5, 50))), points)
    marked = {trace.name: trace for trace in figure.data if trace.meta == CRITICAL}
    assert list(marked) == ["minimum", "maximum", "saddle point", "degenerate (test fails)"]
    for symbol, colour, label in CRITICAL_MARKERS.values():
        assert marked[label].marker.symbol == symbol and marked[label].marker.color == colour
        assert marked[label].showlegend is not False and marked[label].unselected.marker.opacity == 1
    assert list(marked["minimum"].x) == [3.0, -2.8] and marked["minimum"].x.dtype == np.float64  # exact, to pick


def test_himmelblaus_nine_critical_points_are_on_the_map(himmelblau):
    marked = {trace.name: len(trace.x) for trace in full_map(himmelblau).data if trace.meta == CRITICAL}
    assert marked == {"minimum": 4, "maximum": 1, "saddle point": 4}


def test_the_click_layer_is_invisible_on_top_and_picks_round_numbers(himmelblau):
    figure = full_map(himmelblau)
    layer = figure.data[-1]
    assert layer.meta == CLICK and layer.mode == "markers" and layer.showlegend is False
    assert layer.marker.opacity == 0 and layer.selected.marker.opacity == 0 and layer.unselected.marker.opacity == 0
    assert layer.marker.maxdisplayed == 1  # one SVG node, not 6,561 (0.6 s a draw): clicked from the data all the same
    assert layer.x.dtype == np.float64  # a click returns 0.125, not 0.125000001
    assert (3.0, 2.0) in set(zip(layer.x.tolist(), layer.y.tolist(), strict=True))  # Himmelblau's minimum, exactly
    steps = np.diff(np.unique(layer.x))
    sx, _, _ = screen_scale(*BOX)
    assert steps.max() * sx <= 1 / 80 + 1e-12  # dense enough that any click is near one of them
    assert "click to pick" in layer.hovertemplate
    # Every other marker keeps its look when a click selects a point of this layer.
    for trace in figure.data[1:-1]:
        if trace.mode and "markers" in trace.mode:
            assert trace.unselected.marker.opacity == 1, trace.name


def test_the_picked_point_is_a_ring_with_its_direction():
    figure = contour_figure(derivlib.surface_table("x y", (-5, 5, 50), (-5, 5, 50)))
    add_picked_point(figure, (1.0, -2.0), (0.0, 1.0))
    arrow, point = figure.data[1:]
    assert (list(point.x), list(point.y), point.marker.symbol) == ([1.0], [-2.0], "circle-open")
    assert arrow.x[0] == arrow.x[1] == 1.0 and arrow.y[1] > arrow.y[0]  # straight up: u = (0, 1)
    assert arrow.y[1] - arrow.y[0] == pytest.approx(1.0)  # a tenth of the map


def test_a_pole_does_not_wash_the_map_out():
    frame = derivlib.surface_table("1/(x^2 + y^2)", (-5, 5, 500), (-5, 5, 500))
    (contour,) = contour_figure(frame).data
    assert contour.zmax < 15 and np.nanmax(contour.z) > 500  # the colours are for the bulk; the spike is still sent
    assert contour.contours.start >= contour.zmin and contour.contours.end <= contour.zmax


def test_a_smooth_rise_keeps_all_its_values(himmelblau):
    (contour,) = contour_figure(himmelblau).data
    assert (contour.zmin, contour.zmax) == pytest.approx((0.0, 890.0), abs=0.01)
    assert contour.contours.size == 50  # a round step: about 20 lines


def test_colour_scales_spread_low_ground_and_stay_monotone(himmelblau):
    stops = balanced_colours(grid_arrays(himmelblau, "f")[2], 0.0, 890.0)
    positions = [position for position, _ in stops]
    assert positions[0] == 0 and positions[-1] == 1 and np.all(np.diff(positions) > 0)
    # Half Himmelblau's map lies below 112 (of 890): it gets far more than an eighth of the colours.
    (below,) = [k for k, p in enumerate(positions) if p >= 112 / 890][:1]
    assert below >= len(stops) // 3
    assert colour_range(np.array([[-3.0, 1.0], [2.0, 0.5]]), centred=True)[0] == pytest.approx(-3.15, abs=0.2)


@pytest.mark.parametrize(
    ("box", "to_scale"),
    [(BOX, True), (((0.0, 4.0), (0.0, 2.0)), True), (((0.0, 20.0), (-1.0, 1.0)), False)],
)
def test_the_map_is_to_scale_unless_the_ranges_differ_too_much(box, to_scale):
    text = "sin(x) + cos(y)"
    frame = derivlib.surface_table(text, (*box[0], 100), (*box[1], 100))
    figure = contour_figure(frame)
    sx, sy, scaled = screen_scale(*box)
    assert scaled is to_scale and figure.layout.yaxis.scaleanchor == "x"
    assert figure.layout.yaxis.scaleratio == pytest.approx(sy / sx)
    assert math.isclose(figure.layout.yaxis.scaleratio, 1.0) is to_scale


def test_the_small_maps_show_each_partial_and_where_f_is_convex():
    figures = partials_figures(derivlib.surface_table("x^2 - y^2 + x y", (-1, 1, 300), (-1, 1, 300)))
    assert list(figures) == ["fx", "fy", "grad", "fxx", "fxy", "fyy", "det", "lmin", "lmax"]
    traces = [figure.data[0] for figure in figures.values()]  # one map each: on a phone they stack
    assert all(len(figure.data) == 1 for figure in figures.values())
    assert [trace.name.split(",")[0] for trace in traces] == [
        "∂f/∂x",
        "∂f/∂y",
        "|∇f|",
        "∂²f/∂x²",
        "∂²f/∂x∂y",
        "∂²f/∂y²",
        "det H = fxx·fyy − fxy²",
        "λ₁",
        "λ₂",
    ]
    assert all(trace.z.shape == (PANEL_AXIS, PANEL_AXIS) and trace.z.dtype == np.float32 for trace in traces)
    # H = [[2, 1], [1, -2]] everywhere: det −5, eigenvalues ∓√5.
    det, low, high = (traces[k].z for k in (6, 7, 8))
    assert np.allclose(det, -5) and np.allclose(low, -math.sqrt(5)) and np.allclose(high, math.sqrt(5))
    assert all(trace.zmin == -trace.zmax for k, trace in enumerate(traces) if k != 2)  # white at 0
    assert traces[0].contours.start == traces[0].contours.end == 0  # the line where a value is 0
    assert figures["lmin"].layout.title.text == "λ₁, the smaller eigenvalue of H"


def test_a_partial_that_is_rounding_noise_is_drawn_as_0_and_titled_so():
    text = "sin(x) + cos(y)"
    frame = derivlib.surface_table(text, (-3, 3, 200), (-3, 3, 200))
    from derivlib.symbolic_partials import partial_noise_levels

    sample = {"x": frame["x"].to_numpy()[::97], "y": frame["y"].to_numpy()[::97]}
    noise = partial_noise_levels(text, sample)
    computed = frame["fxy"].to_numpy()
    figure = partials_figures(frame, noise=noise)["fxy"]
    title = figure.layout.title.text
    if np.any(computed != 0):  # derivlib's passes leave ±1e-16: drawn flat, and said so
        assert title.startswith("∂²f/∂x∂y = 0 (up to rounding")
    else:
        assert title == "∂²f/∂x∂y = 0"
    assert np.all(figure.data[0].z == 0)


def test_rounding_errors_are_looked_for_only_where_a_value_could_be_noise():
    """sin x cos y on a 250² map: errors_at is asked at a sample and at the values near 0, not at 62,500 points; the
    values it makes 0 are the same as when asked everywhere."""
    from derivlib.rounding import pointwise_errors, zeroed

    text = "sin(x) cos(y) + x - x"
    x = y = np.linspace(-5, 5, 250)
    gx, gy = np.meshgrid(x, y)
    every, asked = pointwise_errors(text, {"x": gx.ravel(), "y": gy.ravel()}, order=0), []

    def errors_at(px, py, order):
        asked.append(len(px))
        return pointwise_errors(text, {"x": px, "y": py}, order=order)[1]

    values = every[0][0].reshape(gx.shape)
    errors, looked = map_errors(x, y, values[None], errors_at, 0)
    assert sum(asked) < 0.1 * values.size, asked
    np.testing.assert_array_equal(zeroed(values, errors[0]), zeroed(values, every[1][0].reshape(gx.shape)))
    assert looked[0][values == 0].all()


def test_the_surface_has_its_tangent_plane_through_the_picked_point():
    frame = derivlib.surface_table("x^2 + y^2", (-2, 2, 400), (-2, 2, 400))
    figure = surface_figure(frame, point=(1.0, 0.5, 1.25), gradient=(2.0, 1.0))
    surface, plane, mesh, point = figure.data
    assert surface.z.shape == (SURFACE_AXIS, SURFACE_AXIS) and surface.z.dtype == np.float32
    corners = np.array(plane.z)
    x, y = np.array(plane.x), np.array(plane.y)
    expected = 1.25 + 2.0 * (x[None, :] - 1.0) + 1.0 * (y[:, None] - 0.5)
    np.testing.assert_allclose(corners, expected)
    assert (x[-1] - x[0]) / 2 == pytest.approx(PLANE_SHARE * 4)  # a patch a little smaller than a fifth of the map
    # The mesh: PLANE_LINES lines each way, in the plane.
    drawn = np.array([mesh.x, mesh.y, mesh.z], dtype=float)
    drawn = drawn[:, ~np.isnan(drawn[0])]
    assert drawn.shape[1] == 2 * PLANE_LINES * PLANE_LINES and mesh.mode == "lines"
    np.testing.assert_allclose(drawn[2], 1.25 + 2.0 * (drawn[0] - 1.0) + 1.0 * (drawn[1] - 0.5))
    assert (point.x[0], point.y[0], point.z[0]) == (1.0, 0.5, 1.25)


def test_the_surface_leaves_a_pole_out_rather_than_flatten_the_rest():
    frame = derivlib.surface_table("1/(x^2 + y^2)", (-5, 5, 500), (-5, 5, 500))
    (surface,) = surface_figure(frame).data
    assert np.isnan(surface.z).any() and np.nanmax(surface.z) < 15


@pytest.mark.parametrize("text", ["sin(x)^2 + cos(x)^2 + x y", "tan(x) cos(y)", "(x^2 - y^2)/(x - y)"])
def test_the_grid_download_is_zeroed_as_if_every_value_were_checked(text):
    """The download's values are those of `rounding.zeroed` with every point's own error (pointwise_errors at all of
    them), though only the values that could be noise are looked at."""
    from derivlib.rounding import pointwise_errors, zeroed

    frame = derivlib.surface_table(text, (-math.pi, math.pi, 61), (-2, 2, 41))
    points = {"x": frame["x"].to_numpy(), "y": frame["y"].to_numpy()}
    shown = zeroed_surface_table(frame, lambda x, y, order: pointwise_errors(text, {"x": x, "y": y}, order=order)[1])
    errors = pointwise_errors(text, points, order=2)[1]
    for row, name in enumerate(("f", "fx", "fy", "fxx", "fxy", "fyy")):
        expected = zeroed(frame[name].to_numpy(), errors[row])
        np.testing.assert_array_equal(shown[name].to_numpy(), expected, err_msg=f"{text}: {name}")
    assert (shown[["x", "y"]] == frame[["x", "y"]]).all().all()


def test_a_map_that_is_exactly_0_is_not_looked_at_again_and_is_titled_0():
    """a x² + b y² (every class's first formula): fxy is exactly 0 everywhere, fx on one column and fy on one row.
    errors_at is asked at the sample and on that column and row, not at every point again (which fxy's zeros asked
    for, 18 evaluations each); the values it makes 0 are the same as when asked everywhere, and fxy's map is titled
    0."""
    from derivlib.rounding import pointwise_errors, zeroed

    text = "3 x^2 + 2 y^2"
    x = y = np.linspace(-5, 5, 201)  # x = 0 and y = 0 among them
    gx, gy = np.meshgrid(x, y)
    values, every = pointwise_errors(text, {"x": gx.ravel(), "y": gy.ravel()}, order=2)
    asked: list[int] = []

    def errors_at(px, py, order):
        asked.append(len(px))
        return pointwise_errors(text, {"x": px, "y": py}, order=order)[1]

    stack = values.reshape(-1, *gx.shape)
    errors, looked = map_errors(x, y, stack, errors_at, 2)
    assert asked[0] == ERROR_SAMPLE**2 and sum(asked[1:]) <= 2 * 201, asked  # the sample, fx's column, fy's row
    assert looked[4].all()  # fxy: 0 everywhere, known to be 0 without asking
    for row in range(len(stack)):
        np.testing.assert_array_equal(zeroed(stack[row], errors[row]), zeroed(stack[row], every[row].reshape(gx.shape)))
    frame = derivlib.surface_table(text, (-5, 5, 201), (-5, 5, 201))
    assert partials_figures(frame, errors_at=errors_at)["fxy"].layout.title.text == "∂²f/∂x∂y = 0"
