"""The optimisation page's figures, without Streamlit: what each trace holds, checked against numbers worked out by
hand (paths written here, not computed by derivlib), and how much of a long path reaches the browser."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import derivlib
from derivlib.optimisation_figures import (
    COLOURS,
    LABELS,
    PARABOLAS,
    PATH,
    PATH_POINTS,
    add_paths,
    convergence_figure,
    curve_figure,
    path_indices,
    tangent_parabolas,
)
from derivlib.optimize import METHODS
from derivlib.surface_figures import contour_figure, payload


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
    assert set(LABELS) == set(COLOURS) == set(METHODS)
    assert len(set(COLOURS.values())) == len(METHODS) and len(set(LABELS.values())) == len(METHODS)


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
    assert newton.meta == PATH and newton.mode == "lines+markers" and newton.line.color == COLOURS["newton"]
    assert newton.x.tolist() == [2.0, 0.0] and newton.y.tolist() == [1.0, 0.0]
    assert newton.customdata[:, 3].tolist() == [14.0, 0.0]  # k, x, y, f: f(2, 1) = 4 + 10
    assert by_name["Newton: minimum found"].marker.symbol == "star"
    stopped = by_name["gradient descent: stopped"]
    assert stopped.marker.symbol == "x"
    assert (stopped.x[0], stopped.y[0]) == (1.62, 0.64)
    assert stopped.text[0] == "gradient descent: stopped after max_iter = 2 iterations"  # beside the path so far
    assert [t.name for t in figure.data].count("start") == 1
    assert (by_name["start"].x[0], by_name["start"].y[0]) == (2.0, 1.0)


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
    convergence = convergence_figure({"gradient-descent": {"path": long}})
    assert all(len(t.x) <= 4 * PATH_POINTS for t in convergence.data)
    assert payload(convergence) < 60_000


def test_convergence_is_the_gradients_length_and_the_gap_to_the_best_f_on_log_scales():
    figure = convergence_figure(RUNS)
    assert figure.layout.yaxis.type == figure.layout.yaxis2.type == "log"
    assert figure.layout.meta["f_best"] == 0.0  # Newton reached f(0, 0) = 0
    traces = {(t.name, t.meta): t for t in figure.data}
    assert traces[("Newton", "‖∇f‖")].y.tolist() == pytest.approx([math.hypot(4, 20), 0.0])
    gap = traces[("gradient descent", "f − f_best")].y
    assert gap.tolist() == pytest.approx([14.0, 1.8**2 + 10 * 0.8**2, 1.62**2 + 10 * 0.64**2], rel=1e-6)
    assert math.isnan(traces[("Newton", "f − f_best")].y[1])  # f − f_best = 0: no point on a log scale
    assert [t.showlegend for t in figure.data] == [True, False, True, False]  # one legend entry per method


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
