"""The optimisation page's figures, without Streamlit: what each trace holds, checked against numbers worked out by
hand (paths written here, not computed by derivlib), how much of a long path reaches the browser, and what is kept
out of every draw (Plotly's contour labels, the contour's own heatmap, the click layer's markers)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import derivlib
from derivlib.figures.markers import MARKERS
from derivlib.figures.optimisation import (
    LABELS_META,
    PARABOLAS,
    PATH,
    PATH_POINTS,
    STOPPED,
    add_paths,
    colour_of,
    convergence_figures,
    curve_figure,
    label,
    level_labels,
    map_figure,
    path_indices,
    tangent_parabolas,
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
