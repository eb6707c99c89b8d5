"""The optimisation page's figures, without Streamlit: what each trace holds, checked against numbers worked out by
hand (paths written here, not computed by derivlib), how much of a long path reaches the browser, and what is kept
out of every draw (Plotly's contour labels, the contour's own heatmap, the click layer's markers)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import derivlib
from derivlib.figures.markers import MARKERS
from derivlib.figures.optimisation import (
    AVOID_GAP,
    BEYOND,
    COMPARED_COLOURS,
    LABEL_CHAR,
    LABEL_LINE,
    LABEL_OFFSET,
    LABEL_SIDE,
    LABELS_META,
    MARK_RADIUS,
    PARABOLAS,
    PATH,
    PATH_POINTS,
    STOPPED,
    add_paths,
    colour_of,
    compared_runs,
    convergence_figures,
    curve_figure,
    end_labels,
    label,
    level_labels,
    map_figure,
    path_indices,
    tangent_parabolas,
    view_ranges,
)
from derivlib.figures.two_variables import CLICK, click_lattice, contour_figure, payload
from derivlib.optimize import METHODS


def path_of(points: list[tuple[float, float]], f, grad_norm) -> pd.DataFrame:
    rows = [
        {"k": k, "x": x, "y": y, "f": f(x, y), "grad_norm": grad_norm(x, y), "step": 1.0, "evaluations": k + 1}
        for k, (x, y) in enumerate(points)
    ]
    return pd.DataFrame(rows)


def bowl(x: float, y: float) -> float:
    return x * x + 10 * y * y


def bowl_gradient(x: float, y: float) -> float:
    return math.hypot(2 * x, 20 * y)


RUNS = {
    "newton": {"path": path_of([(2, 1), (0, 0)], bowl, bowl_gradient), "success": True, "message": "converged"},
    "gradient-descent": {
        "path": path_of([(2, 1), (1.8, 0.8), (1.62, 0.64)], bowl, bowl_gradient),
        "success": False,
        "message": "stopped after max_iter = 2 iterations",
    },
}


def test_every_method_has_a_label_and_a_colour_of_its_own():
    assert len({label(method) for method in METHODS}) == len({colour_of(method) for method in METHODS}) == len(METHODS)
    assert all(label(method) != method for method in METHODS if "-" in method)  # a name for people, not the key


@pytest.mark.parametrize("n", [0, 1, 5, PATH_POINTS, PATH_POINTS + 1, 20_000])
def test_a_long_path_is_sent_as_its_beginning_then_evenly_with_its_end(n):
    kept = path_indices(n)
    assert len(kept) == min(n, PATH_POINTS)
    assert np.all(np.diff(kept) > 0)
    if n:
        assert kept[0] == 0 and kept[-1] == n - 1
        assert kept[: min(n, PATH_POINTS // 2)].tolist() == list(range(min(n, PATH_POINTS // 2)))


def test_paths_on_the_map_start_end_and_say_why_a_run_stopped():
    figure = add_paths(go.Figure(), RUNS)
    by_name = {trace.name: trace for trace in figure.data}
    newton = by_name["Newton"]
    assert newton.meta == PATH and newton.mode == "lines+markers" and newton.line.color == colour_of("newton")
    assert newton.x.tolist() == [2.0, 0.0] and newton.y.tolist() == [1.0, 0.0]
    assert newton.customdata[:, 3].tolist() == [14.0, 0.0]  # k, x, y, f: f(2, 1) = 4 + 10
    assert by_name["Newton: minimum found"].marker.symbol == "star"
    stopped = by_name["gradient descent: stopped"]
    assert stopped.marker.symbol == STOPPED != MARKERS["saddle"][0]  # ⊠, never the saddle's ×
    assert (stopped.x[0], stopped.y[0]) == (1.62, 0.64)
    assert stopped.text is None  # no words on the map, where they ran off it: on hover, and under the chart
    assert "stopped after max_iter = 2 iterations" in stopped.hovertemplate
    assert [t.name for t in figure.data].count("start") == 1
    assert (by_name["start"].x[0], by_name["start"].y[0]) == (2.0, 1.0)


def test_the_legend_says_what_each_mark_at_an_end_is():
    names = [t.name for t in add_paths(go.Figure(), RUNS).data if t.showlegend is not False]
    assert names == ["Newton", "gradient descent", "start", "minimum found", "stopped, no minimum found"]
    only_converged = add_paths(go.Figure(), {"newton": RUNS["newton"]})
    assert "stopped, no minimum found" not in [t.name for t in only_converged.data]


@pytest.mark.parametrize("end", ["saddle", "maximum"])
def test_a_run_that_converged_to_a_saddle_or_a_maximum_is_marked_as_every_page_marks_one(end):
    runs = {"newton": RUNS["newton"] | {"end": end}}
    figure = add_paths(go.Figure(), runs)
    by_name = {trace.name: trace for trace in figure.data}
    symbol, colour, word = MARKERS[end]
    mark = by_name[f"Newton: converged to a {'saddle point' if end == 'saddle' else end}"]
    assert (mark.marker.symbol, mark.marker.color) == (symbol, colour)
    legend = by_name[f"{word}, a run converged there"]
    assert (legend.marker.symbol, legend.marker.color) == (symbol, colour)
    assert "minimum found" not in by_name  # no star: it found no minimum


def test_a_run_without_a_path_is_left_out():
    figure = add_paths(go.Figure(), {"newton": {"error": "f is undefined at the start"}})
    assert len(figure.data) == 0


def test_a_path_of_twenty_thousand_iterations_keeps_the_map_small():
    frame = derivlib.surface_table("(1 - x)^2 + 100(y - x^2)^2", (-2, 2, 150), (-1, 3, 150), order=0)
    long = pd.DataFrame(
        {
            "k": np.arange(20_000),
            "x": np.linspace(-1.2, 1, 20_000),
            "y": np.linspace(1, 1, 20_000),
            "f": np.geomspace(24.2, 1e-6, 20_000),
            "grad_norm": np.geomspace(232.9, 1e-4, 20_000),
            "step": 1e-3,
            "evaluations": np.arange(20_000),
        }
    )
    figure = add_paths(contour_figure(frame), {"gradient-descent": {"path": long, "success": False, "message": "…"}})
    (trace,) = [t for t in figure.data if t.meta == PATH]
    assert len(trace.x) == PATH_POINTS
    assert payload(figure) < 250_000
    for convergence in convergence_figures({"gradient-descent": {"path": long}}):
        assert all(len(t.x) <= 4 * PATH_POINTS for t in convergence.data)
        assert payload(convergence) < 30_000


def test_convergence_is_the_gradients_length_and_the_gap_to_the_best_f_on_log_scales():
    gradient, gap = convergence_figures(RUNS)  # two charts: side by side on a laptop, stacked on a phone
    assert gradient.layout.yaxis.type == gap.layout.yaxis.type == "log"
    assert "gradient's length" in gradient.layout.title.text and "gap to the lowest f" in gap.layout.title.text
    assert gap.layout.meta["f_best"] == 0.0  # Newton reached f(0, 0) = 0
    assert {t.meta for t in gradient.data} == {"‖∇f‖"} and {t.meta for t in gap.data} == {"f − f_best"}
    assert [t.name for t in gradient.data] == [t.name for t in gap.data] == ["Newton", "gradient descent"]
    traces = {(t.name, t.meta): t for t in (*gradient.data, *gap.data)}
    assert traces[("Newton", "‖∇f‖")].y.tolist() == pytest.approx([math.hypot(4, 20), 0.0])
    gaps = traces[("gradient descent", "f − f_best")].y
    assert gaps.tolist() == pytest.approx([14.0, 1.8**2 + 10 * 0.8**2, 1.62**2 + 10 * 0.64**2], rel=1e-6)
    assert math.isnan(traces[("Newton", "f − f_best")].y[1])  # f − f_best = 0: no point on a log scale


def test_a_diverging_run_leaves_the_chart_with_a_note_and_leaves_the_others_their_decades():
    """Gradient descent on x² + 10y² with lr = 0.2 > 2/20 diverges (‖∇f‖ times 3 a step, by hand: y ← (1 − 20·0.2)y =
    −3y); lr = 0.05 converges. The axis stops 1e4 above the largest start; the note names the one that left it."""
    runs = {
        lr: derivlib.minimize("x^2 + 10 y^2", {"x": 1.0, "y": 1.0}, method="gradient-descent", lr=lr, max_iter=60)
        for lr in (0.05, 0.2)
    }
    drawn = {
        f"gradient-descent lr={lr}": {"path": r.path, "label": f"lr = {lr}", "method": "gradient-descent"}
        for lr, r in runs.items()
    }
    gradient, _ = convergence_figures(drawn)
    start = math.hypot(2.0, 20.0)  # ‖∇f‖ at (1, 1)
    low, high = gradient.layout.yaxis.range
    assert high == pytest.approx(math.log10(start * 1e4))
    assert 10**low <= float(np.nanmin(runs[0.05].path["grad_norm"].to_numpy()))  # the converging run keeps its decades
    assert gradient.layout.meta["capped"] == ["gradient-descent lr=0.2"]
    (note,) = gradient.layout.annotations
    assert note.text.startswith("↑ off the chart: lr = 0.2 grows to")
    quiet, _ = convergence_figures({"a": drawn["gradient-descent lr=0.05"]})
    assert quiet.layout.yaxis.range is None and not quiet.layout.annotations  # nothing diverges: Plotly's own range


ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"


@pytest.fixture(scope="module")
def rosenbrock_map() -> go.Figure:
    frame = derivlib.surface_table(ROSENBROCK, (-2, 2, 150), (-1, 3, 150), order=0)
    x, y = click_lattice((-2, 2), (-1, 3))
    f = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    return map_figure(frame, {"newton": RUNS["newton"]}, (x, y, f))


def test_the_map_is_drawn_without_what_costs_a_browser_time_at_every_draw(rosenbrock_map):
    colours, lines = rosenbrock_map.data[:2]
    assert (colours.type, colours.name, colours.zsmooth) == ("heatmap", "f", "fast")  # stretched, not interpolated
    assert (lines.type, lines.contours.coloring, lines.contours.showlabels) == ("contour", "none", False)
    assert colours.colorscale == lines.colorscale and (colours.zmin, colours.zmax) == (lines.zmin, lines.zmax)
    (click,) = [t for t in rosenbrock_map.data if t.meta == CLICK]
    assert click.marker.maxdisplayed == 1 and len(click.x) == 81 * 81  # one drawn, every one of them clickable


def test_a_few_levels_are_labelled_on_their_own_lines(rosenbrock_map):
    (labels,) = [t for t in rosenbrock_map.data if t.meta == LABELS_META]
    lines = rosenbrock_map.data[1]
    assert 2 <= len(labels.text) <= 12
    step = lines.contours.size
    for x, y, text in zip(labels.x, labels.y, labels.text, strict=True):
        level = float(text)
        assert level % step == 0 and lines.contours.start <= level <= lines.contours.end  # a level that is drawn
        assert (1 - x) ** 2 + 100 * (y - x**2) ** 2 == pytest.approx(level, rel=0.02)  # on its line, by hand
    points = np.column_stack([labels.x, labels.y]) / 4  # the map is 4 wide: on screen, its side is 1
    gaps = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    assert gaps[np.triu_indices(len(points), 1)].min() >= 0.12  # apart, not piled up


def test_levels_are_labelled_where_they_cross_the_map():
    x = y = np.linspace(-1, 1, 81)
    z = np.add.outer(y**2, x**2)  # circles: z = r²
    labels = level_labels(x, y, z, [0.25, 0.64, 9.0])  # radii 0.5 and 0.8; 9 is nowhere on the map
    assert {level for *_, level in labels} == {0.25, 0.64}
    for a, b, level in labels:
        assert math.hypot(a, b) == pytest.approx(math.sqrt(level), abs=0.01)


def test_one_variable_draws_the_curve_the_iterates_and_newtons_parabolas():
    x = np.linspace(-2, 2, 401)
    f = x**4 - 3 * x**2 + x
    path = pd.DataFrame({"k": [0, 1], "x": [2.0, 1.5], "f": [8.0, 0.0], "grad_norm": [21.0, 5.5]})
    # At x = 2: f = 16 − 12 + 2 = 6, f′ = 4·8 − 12 + 1 = 21, f″ = 12·4 − 6 = 42, worked out by hand.
    derivatives = {"f": np.array([6.0, 0.0]), "fx": np.array([21.0, 0.0]), "fxx": np.array([42.0, 0.0])}
    tangents = tangent_parabolas(path, derivatives)
    assert tangents[0] == (2.0, 6.0, 21.0, 42.0)
    figure = curve_figure(x, f, {"newton": {"path": path, "success": True, "message": "converged"}}, parabolas=tangents)
    parabolas = [t for t in figure.data if t.legendgroup == "parabolas"]
    assert len(parabolas) == 2 and [t.showlegend for t in parabolas] == [True, False]
    t, q = parabolas[0].x.astype(float), parabolas[0].y.astype(float)
    np.testing.assert_allclose(q, 6 + 21 * (t - 2) + 21 * (t - 2) ** 2, rtol=1e-5)
    assert t.max() <= 2.0  # clipped to the range
    (iterates,) = [trace for trace in figure.data if trace.meta == PATH]
    assert iterates.x.tolist() == [2.0, 1.5]
    low, high = figure.layout.yaxis.range
    assert low < f.min() and high > f.max()


def test_at_most_parabolas_tangents_are_drawn():
    path = pd.DataFrame({"k": range(10), "x": np.linspace(1, 0, 10)})
    derivatives = {name: np.ones(10) for name in ("f", "fx", "fxx")}
    assert len(tangent_parabolas(path, derivatives)) == PARABOLAS


# ---------------------------------------------------------------------------------------------------------------------
# Every path in sight (issue 21, "what was seen"): the view grows to the runs' ends, a long path lies under the short
# ones, stars at one point nest, labels sit beside their marks


QUARTIC_NEWTON = [1.0, 2.220703125, 2.2507939, 2.2500010, 2.25]  # x⁴ − 3x³ + 2 from 1: f′ = 4x³ − 9x² = 0 at x = 9/4


def quartic_path(xs: list[float]) -> pd.DataFrame:
    x = np.array(xs)
    return pd.DataFrame({"k": range(len(x)), "x": x, "f": x**4 - 3 * x**3 + 2, "grad_norm": abs(4 * x**3 - 9 * x**2)})


def test_the_curve_grows_to_show_where_the_runs_went():
    """x⁴ − 3x³ + 2 from 1 on −2 … 2: every method ends at its minimum x = 9/4 (f = −6.54296875, by hand), off the
    range typed; the view takes it in, with room, to a round number, and leaves the range typed alone elsewhere."""
    runs = {"newton": {"path": quartic_path(QUARTIC_NEWTON), "success": True, "message": "converged"}}
    view = view_ranges([(-2.0, 2.0)], runs, ("x",))
    assert view.ranges == ((-2.0, 2.5),) and view.typed == ((-2.0, 2.0),) and view.grown
    assert not view.beyond and not view.leaving
    x = np.linspace(*view.ranges[0], 451)
    figure = curve_figure(x, x**4 - 3 * x**3 + 2, runs)
    (star,) = [t for t in figure.data if t.name == "Newton: minimum found"]
    low, high = figure.layout.xaxis.range
    assert low <= min(QUARTIC_NEWTON) and max(QUARTIC_NEWTON) <= high
    f_low, f_high = figure.layout.yaxis.range
    assert star.x[0] == 2.25 and f_low < star.y[0] == -6.54296875 < f_high


def test_a_view_that_needs_no_room_stays_as_typed():
    runs = {"newton": {"path": path_of([(2, 1), (0, 0)], bowl, bowl_gradient), "success": True}}
    view = view_ranges([(-5.0, 5.0), (-5.0, 5.0)], runs)
    assert view.ranges == view.typed == ((-5.0, 5.0), (-5.0, 5.0)) and not view.grown


def test_a_path_at_the_edge_grows_the_view_in_both_variables():
    runs = {"newton": {"path": path_of([(2, 1), (3.9, -4.2)], bowl, bowl_gradient), "success": True}}
    (xlow, xhigh), (ylow, yhigh) = view_ranges([(-4.0, 4.0), (-4.0, 4.0)], runs).ranges
    assert (xlow, yhigh) == (-4.0, 4.0)  # no path near these edges
    assert (xhigh, ylow) == (4.5, -5.0)  # 3.9 was at the edge, −4.2 past it: room beyond each, to a round number


def test_an_end_far_beyond_the_range_is_said_and_pointed_at():
    """A run that falls away without bound (to x = −3·10⁸): the view does not grow to it (the map would be a dot);
    the end is said, and an arrow where its path leaves the map points left, at it."""
    far = path_of([(1.0, 0.5), (-3e8, 0.5)], bowl, bowl_gradient)
    runs = {"newton": RUNS["newton"], "lbfgs": {"path": far, "success": False, "message": "f decreases without bound"}}
    view = view_ranges([(-3.0, 3.0), (-3.0, 3.0)], runs)
    assert view.ranges == view.typed and view.beyond == {"lbfgs": (-3e8, 0.5)}
    frame = derivlib.surface_table("x^2 + 10y^2", (-3, 3, 41), (-3, 3, 41), order=0)
    x, y = click_lattice((-3, 3), (-3, 3))
    figure = map_figure(frame, runs, (x, y, x**2 + 10 * y**2), beyond=view.beyond)
    (arrow,) = [t for t in figure.data if t.meta == BEYOND]
    assert arrow.name == "L-BFGS: ends beyond the view" and arrow.marker.angle == pytest.approx(-90)
    assert (arrow.x[0], arrow.y[0]) == pytest.approx((-2.76, 0.5))  # where its step leaves, just inside the edge
    assert "-3e+08" in arrow.hovertemplate and arrow.marker.color == colour_of("lbfgs")


def test_a_long_path_lies_under_the_short_ones_each_line_wider_than_the_one_above():
    """Rosenbrock's valley: gradient descent's thousand steps would hide Newton's, L-BFGS's and CG's twenty or
    forty; drawn lowest and widest, each path above it a stripe narrower, every one stays in sight."""
    valley = [(-1.2 + 2.2 * t, (-1.2 + 2.2 * t) ** 2) for t in np.linspace(0, 1, 1_000)]
    rosenbrock = (lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2, lambda x, y: 0.0)
    runs = {
        "newton": {"path": path_of(valley[::50], *rosenbrock), "success": True},
        "gradient-descent-armijo": {"path": path_of(valley, *rosenbrock), "success": False},
        "lbfgs": {"path": path_of(valley[::25], *rosenbrock), "success": True},
    }
    figure = add_paths(go.Figure(), runs)
    paths = {t.name: t for t in figure.data if t.meta == PATH}
    halos = [t for t in figure.data if t.meta == "halo"]
    assert list(paths) == ["Newton", "gradient descent + Armijo", "L-BFGS"]  # the legend keeps the runs' order
    low, middle, top = paths["gradient descent + Armijo"], paths["L-BFGS"], paths["Newton"]  # by number of steps
    assert low.zorder < middle.zorder < top.zorder
    assert low.line.width > middle.line.width > top.line.width >= 2
    assert max(h.zorder for h in halos) < low.zorder  # no halo over another path
    assert top.marker.size >= 7 and top.marker.line.color == "white"  # a short path's dots: large, rimmed
    marks = [t for t in figure.data if (t.name or "").endswith(("found", ": stopped")) and t.showlegend is False]
    assert min(t.zorder for t in marks) > top.zorder  # the ends over every path


def test_stars_at_one_minimum_nest_over_a_stop_there():
    at_one = path_of([(2, 1), (0, 0)], bowl, bowl_gradient)
    runs = {
        "newton": {"path": at_one, "success": True},
        "gradient-descent": {"path": at_one, "success": False},
        "lbfgs": {"path": at_one, "success": True},
        "cg-pr": {"path": at_one, "success": True},
    }
    figure = add_paths(go.Figure(), runs)
    marks = [t for t in figure.data if (t.name or "").endswith(("found", ": stopped")) and t.showlegend is False]
    assert [t.name for t in marks] == [
        "gradient descent: stopped",  # under the stars, larger than every one of them
        "Newton: minimum found",
        "L-BFGS: minimum found",
        "CG (Polak–Ribière+): minimum found",
    ]
    sizes = [t.marker.size for t in marks]
    assert sizes[0] > sizes[1] and all(a - b >= 6 for a, b in itertools.pairwise(sizes[1:]))
    assert all(t.marker.line.width <= 1 for t in marks[1:])  # a rim narrower than the ring of colour between stars
    assert [t.zorder for t in marks] == sorted(t.zorder for t in marks)


def test_the_level_labels_keep_off_the_starts_and_ends():
    frame = derivlib.surface_table(ROSENBROCK, (-2, 2, 150), (-1, 3, 150), order=0)
    x, y = click_lattice((-2, 2), (-1, 3))
    first = map_figure(frame, {}, (x, y, x))
    (labels,) = [t for t in first.data if t.meta == LABELS_META]
    end = (float(labels.x[0]), float(labels.y[0]))  # a run that ends just where a level was written
    runs = {"newton": {"path": path_of([(-1.2, 1.0), end], lambda a, b: 0.0, lambda a, b: 0.0), "success": True}}
    (labels,) = [t for t in map_figure(frame, runs, (x, y, x)).data if t.meta == LABELS_META]
    for a, b in zip(labels.x, labels.y, strict=True):
        for mark in ((-1.2, 1.0), end):
            assert math.hypot(a - mark[0], b - mark[1]) / 4 >= AVOID_GAP  # the map's longer side, 4, is 1


def test_compared_runs_are_named_and_coloured_by_their_value():
    runs = compared_runs(["gradient-descent"], "lr", [0.002, 0.0005, 0.001])
    assert [(run["label"], run["short"]) for run in runs.values()] == [
        ("gradient descent, lr = 0.002", "lr = 0.002"),
        ("gradient descent, lr = 0.0005", "lr = 0.0005"),
        ("gradient descent, lr = 0.001", "lr = 0.001"),
    ]
    assert [run["colour"] for run in runs.values()] == [COMPARED_COLOURS[i] for i in (2, 0, 1)]  # by size
    assert {run["method"] for run in runs.values()} == {"gradient-descent"}
    assert [run["lr"] for run in runs.values()] == [0.002, 0.0005, 0.001]
    several = compared_runs(["newton", "gradient-descent-armijo"], "kappa", [1.0, 100.0])
    assert [run["label"] for run in several.values()] == [
        "Newton, κ = 1",
        "Newton, κ = 100",
        "gradient descent + Armijo, κ = 1",
        "gradient descent + Armijo, κ = 100",
    ]
    assert [(run["colour"], run["dash"]) for run in several.values()] == [
        (colour_of("newton"), "solid"),
        (colour_of("newton"), "dash"),
        (colour_of("gradient-descent-armijo"), "solid"),
        (colour_of("gradient-descent-armijo"), "dash"),
    ]


def test_compared_runs_draw_with_their_names_colours_and_dashes():
    one = {key: RUNS["newton"] | spec for key, spec in compared_runs(["newton"], "kappa", [10.0, 1.0]).items()}
    gradient, gap = convergence_figures(one)
    assert [t.name for t in gradient.data] == ["Newton, κ = 10", "Newton, κ = 1"]
    assert [(t.line.color, t.line.dash) for t in gap.data] == [
        (COMPARED_COLOURS[1], "solid"),
        (COMPARED_COLOURS[0], "solid"),
    ]
    two = {key: RUNS["newton"] | spec for key, spec in compared_runs(["newton", "lbfgs"], "kappa", [1.0, 10.0]).items()}
    _, gap = convergence_figures(two)
    assert [(t.line.color, t.line.dash) for t in gap.data] == [
        (colour_of("newton"), "solid"),
        (colour_of("newton"), "dash"),
        (colour_of("lbfgs"), "solid"),
        (colour_of("lbfgs"), "dash"),
    ]
    names = [t.name for t in add_paths(go.Figure(), one).data if t.meta == PATH]
    assert names == ["Newton, κ = 10", "Newton, κ = 1"]


def label_box(at: tuple[float, float], text: str, position: str) -> tuple[float, float, float, float]:
    """Where a label lies on a view LABEL_SIDE pixels across, as end_labels reckons it (pixels, y up)."""
    lines = text.split("<br>")
    width = LABEL_CHAR * max(len(line.split("</span> ")[1]) + 2 for line in lines)
    height = LABEL_LINE * len(lines)
    vertical, horizontal = position.split()
    left = {"right": at[0] + LABEL_OFFSET, "left": at[0] - LABEL_OFFSET - width, "center": at[0] - width / 2}
    bottom = {"top": at[1] + LABEL_OFFSET, "bottom": at[1] - LABEL_OFFSET - height, "middle": at[1] - height / 2}
    return left[horizontal], bottom[vertical], left[horizontal] + width, bottom[vertical] + height


def test_the_labels_at_compared_ends_sit_beside_their_marks_and_apart():
    """Step sizes of gradient descent ending one above another, as on a phone's map (LABEL_SIDE pixels across): each
    end's label is set beside its mark (never "middle center", on it), clear of the other labels and the other marks;
    ends at one point share one label, a line each with a dot in the run's colour."""
    runs = compared_runs(["gradient-descent"], "lr", [0.0005, 0.001, 0.002, 0.004])
    ends = {key: (0.2 * i, 0.3 * i) for i, key in enumerate(runs)}
    ends["gradient-descent lr=0.004"] = ends["gradient-descent lr=0.002"]
    labels = end_labels(ends, runs, [(-1.0, 1.0), (-1.0, 1.0)])
    assert list(labels) == ["gradient-descent lr=0.0005", "gradient-descent lr=0.001", "gradient-descent lr=0.002"]
    merged, _ = labels["gradient-descent lr=0.002"]
    assert merged.count("<br>") == 1 and "lr = 0.002" in merged and "lr = 0.004" in merged
    assert f"color:{COMPARED_COLOURS[3]}" in merged
    pixels = {key: ((x + 1) / 2 * LABEL_SIDE, (y + 1) / 2 * LABEL_SIDE) for key, (x, y) in ends.items()}
    boxes = {key: label_box(pixels[key], text, position) for key, (text, position) in labels.items()}
    for key, box in boxes.items():
        assert labels[key][1] != "middle center"
        for other, (x, y) in pixels.items():  # no label on a mark (a mark's middle, MARK_RADIUS around it)
            reach = MARK_RADIUS if ends[other] != ends[key] else 0
            assert not (box[0] - reach < x < box[2] + reach and box[1] - reach < y < box[3] + reach), (key, other)
    for a, b in itertools.combinations(boxes.values(), 2):  # no label on another
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_arrows_that_leave_at_one_place_share_one_label():
    far = path_of([(0.0, 0.0), (-5e8, 0.0)], bowl, bowl_gradient)
    runs = {
        key: {"path": far, "success": False} | spec for key, spec in compared_runs(["newton"], "lr", [1, 2]).items()
    }
    figure = map_figure(
        derivlib.surface_table("x^2 + 10y^2", (-3, 3, 41), (-3, 3, 41), order=0),
        runs,
        (np.zeros(1), np.zeros(1), np.zeros(1)),
        beyond=view_ranges([(-3.0, 3.0), (-3.0, 3.0)], runs).beyond,
    )
    first, second = [t for t in figure.data if t.meta == BEYOND]
    assert first.text == ("lr = 1<br>lr = 2",) and second.text is None


def test_a_compared_runs_end_carries_its_label_on_the_map():
    runs = {key: RUNS["newton"] | spec for key, spec in compared_runs(["newton"], "lr", [0.1]).items()}
    (mark,) = [t for t in add_paths(go.Figure(), runs).data if t.name == "Newton, lr = 0.1: minimum found"]
    assert mark.mode == "markers+text" and "lr = 0.1" in mark.text[0] and mark.textposition != "middle center"
